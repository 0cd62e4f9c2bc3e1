/**
 * Reconciles never overlap. Triggers that arrive while a run is in flight are coalesced
 * into exactly one follow-up run (its reason lists every distinct trigger), so a burst of
 * webhooks or file events costs one extra reconcile, and the last change is never missed.
 */
export interface Trigger {
  /** Asks for a run; false when stopped (the request is refused, not queued). */
  trigger(reason: string): boolean;
  /** Resolves when nothing runs and nothing is pending. */
  idle(): Promise<void>;
  /** Refuses new triggers, drops the pending follow-up, waits for the run in flight. */
  stop(): Promise<void>;
  readonly running: boolean;
}

export interface TriggerOptions {
  /** A failed run is reported here; the trigger keeps serving later requests. */
  readonly onError: (error: unknown, reason: string) => void;
}

export function createTrigger(run: (reason: string) => Promise<void>, options: TriggerOptions): Trigger {
  let current: Promise<void> | undefined;
  let pending: string[] = [];
  let stopped = false;
  let idleWaiters: Array<() => void> = [];

  const settleIdle = (): void => {
    const waiters = idleWaiters;
    idleWaiters = [];
    for (const w of waiters) w();
  };

  const start = (reason: string): void => {
    current = (async () => {
      try {
        await run(reason);
      } catch (err) {
        try {
          options.onError(err, reason);
        } catch {
          // A failing reporter must not wedge the trigger: later runs still have to happen.
        }
      }
    })().then(() => {
      current = undefined;
      if (!stopped && pending.length > 0) {
        const next = pending.join(", ");
        pending = [];
        start(next);
      } else {
        pending = [];
        settleIdle();
      }
    });
  };

  return {
    trigger(reason) {
      if (stopped) return false;
      if (current) {
        if (!pending.includes(reason)) pending.push(reason);
      } else {
        start(reason);
      }
      return true;
    },
    idle() {
      if (!current) return Promise.resolve();
      return new Promise((resolve) => idleWaiters.push(resolve));
    },
    async stop() {
      stopped = true;
      pending = [];
      if (current) await new Promise<void>((resolve) => idleWaiters.push(resolve));
    },
    get running() {
      return current !== undefined;
    },
  };
}
