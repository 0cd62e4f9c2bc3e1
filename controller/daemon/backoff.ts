import { setTimeout } from "node:timers/promises";
/**
 * Exponential backoff with jitter for retrying a failed fetch or reconcile. The schedule is
 * pure (randomness is passed in); the runner takes its sleep function so tests need no clock.
 */
export interface BackoffPolicy {
  readonly initialMs: number;
  readonly maxMs: number;
  readonly factor: number;
  /** Fraction of the delay that is randomised, 0..1: many controllers restarting together spread out. */
  readonly jitter: number;
}

export const DEFAULT_BACKOFF: BackoffPolicy = { initialMs: 1_000, maxMs: 300_000, factor: 2, jitter: 0.2 };

/** Delay before retry number `attempt` (0 = first retry). `random` returns values in [0, 1). */
export function backoffDelay(attempt: number, policy: BackoffPolicy = DEFAULT_BACKOFF, random: () => number = Math.random): number {
  const n = Math.max(0, Math.floor(attempt));
  // Capping the exponent keeps factor ** n finite for absurd attempt counts.
  const base = Math.min(policy.maxMs, policy.initialMs * policy.factor ** Math.min(n, 64));
  const jitter = Math.min(1, Math.max(0, policy.jitter));
  return Math.round(base * (1 - jitter * random()));
}

export interface RetryOptions {
  /** Total tries, the first included. */
  readonly attempts: number;
  readonly policy?: BackoffPolicy;
  readonly random?: () => number;
  readonly sleep?: (ms: number) => Promise<void>;
  /** Errors that retrying cannot fix (bad config) are thrown at once. */
  readonly retryable?: (error: unknown) => boolean;
  readonly onRetry?: (error: unknown, attempt: number, delayMs: number) => void;
  /** Aborting stops further tries; the last error is thrown. */
  readonly signal?: AbortSignal;
}

export async function retry<T>(fn: (attempt: number) => Promise<T>, options: RetryOptions): Promise<T> {
  const sleep = options.sleep ?? defaultSleep;
  for (let attempt = 0; ; attempt++) {
    try {
      return await fn(attempt);
    } catch (err) {
      const last = attempt + 1 >= options.attempts;
      if (last || options.signal?.aborted || (options.retryable && !options.retryable(err))) throw err;
      const delay = backoffDelay(attempt, options.policy, options.random);
      options.onRetry?.(err, attempt + 1, delay);
      await sleep(delay);
    }
  }
}

async function defaultSleep(ms: number): Promise<void> {
  await setTimeout(ms);
}
