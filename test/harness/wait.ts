import { WaitTimeoutError } from "./errors";

export interface WaitOptions {
  readonly timeout?: number;
  readonly interval?: number;
  /** Named in the timeout error. */
  readonly what?: string;
}

/**
 * Polls `fn` until it returns something other than undefined, null or false, and returns that.
 * Errors thrown by `fn` count as "not yet" (a service still starting refuses connections); the
 * last one is reported on timeout.
 */
export async function waitFor<T>(
  fn: () => Promise<T | undefined | null | false> | T | undefined | null | false,
  { timeout = 30_000, interval = 500, what = "a condition" }: WaitOptions = {},
): Promise<T> {
  const deadline = Date.now() + timeout;
  let last = "nothing yet";
  for (;;) {
    try {
      const value = await fn();
      if (value !== undefined && value !== null && value !== false) return value;
      last = String(value);
    } catch (err) {
      last = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
    }
    if (Date.now() >= deadline) throw new WaitTimeoutError(what, timeout, last);
    await new Promise((resolve) => setTimeout(resolve, interval));
  }
}
