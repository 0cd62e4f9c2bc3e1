/**
 * When reconciles run. Triggers that arrive while runs are in flight are coalesced into exactly
 * one follow-up run (its reason lists every distinct trigger), started once nothing runs, so a
 * burst of webhooks or file events costs one extra reconcile, and the last change is never
 * missed. With `concurrent`, a trigger arriving during a run may also start a run beside it at
 * once (`concurrent: true` in its context): one site's change is not held up by another site's
 * rollout. That run takes only what nobody else is changing (daemon/claims.ts) and does not
 * replace the follow-up, which still covers the trigger. One concurrent run at a time is between
 * its start and knowing what it takes (`settled()`); triggers meanwhile start the next one then.
 * Runs start beside an ordinary run only: once it ends, triggers wait for the follow-up, which
 * starts when the concurrent runs left drain. Concurrent runs starting one beside the other
 * would otherwise postpone the follow-up (the only run that applies a commit in full, and
 * shared objects) for as long as pushes keep overlapping.
 */
export interface Trigger {
  /** Asks for a run; false when stopped (the request is refused, not queued). */
  trigger(reason: string): boolean;
  /** Resolves when nothing runs and nothing is pending. */
  idle(): Promise<void>;
  /** Refuses new triggers, drops the pending follow-up, waits for the runs in flight. */
  stop(): Promise<void>;
  readonly running: boolean;
}

export interface RunContext {
  /** Started beside runs in flight: it may change only what they do not (daemon/claims.ts). */
  readonly concurrent: boolean;
  /** The run knows what it takes (admitted or deferred): the next concurrent run may start. */
  settled(): void;
}

export interface TriggerOptions {
  /** A failed run is reported here; the trigger keeps serving later requests. */
  readonly onError: (error: unknown, reason: string) => void;
  /** Whether a trigger with this reason starts a run beside the ones in flight. Default: never. */
  readonly concurrent?: (reason: string) => boolean;
}

export function createTrigger(run: (reason: string, context: RunContext) => Promise<void>, options: TriggerOptions): Trigger {
  const inFlight = new Set<Promise<void>>();
  /** Ordinary (not concurrent) runs in flight: 0 or 1. Runs start beside one only. */
  let full = 0;
  let pending: string[] = [];
  /** Reasons waiting for the concurrent run that is still deciding what it takes. */
  let nextConcurrent: string[] = [];
  let deciding = false;
  let stopped = false;
  let idleWaiters: Array<() => void> = [];

  const settleIdle = (): void => {
    const waiters = idleWaiters;
    idleWaiters = [];
    for (const w of waiters) w();
  };
  const addTo = (list: string[], reason: string): void => {
    if (!list.includes(reason)) list.push(reason);
  };

  const start = (reason: string, concurrent: boolean): void => {
    if (concurrent) deciding = true;
    else full++;
    let decided = !concurrent;
    const settled = (): void => {
      if (decided) return;
      decided = true;
      deciding = false;
      // Only beside an ordinary run still in flight: with none left, the follow-up covers these reasons.
      if (!stopped && full > 0 && nextConcurrent.length > 0) {
        const next = nextConcurrent.join(", ");
        nextConcurrent = [];
        start(next, true);
      }
    };
    const p = (async () => {
      try {
        await run(reason, { concurrent, settled });
      } catch (err) {
        try {
          options.onError(err, reason);
        } catch {
          // A failing reporter must not wedge the trigger: later runs still have to happen.
        }
      } finally {
        settled();
      }
    })().then(() => {
      inFlight.delete(p);
      if (!concurrent) full--;
      if (inFlight.size > 0) return;
      nextConcurrent = [];
      if (!stopped && pending.length > 0) {
        const next = pending.join(", ");
        pending = [];
        start(next, false);
      } else {
        pending = [];
        settleIdle();
      }
    });
    inFlight.add(p);
  };

  return {
    trigger(reason) {
      if (stopped) return false;
      if (inFlight.size === 0) {
        start(reason, false);
        return true;
      }
      addTo(pending, reason);
      if (full > 0 && options.concurrent?.(reason)) {
        if (deciding) addTo(nextConcurrent, reason);
        else start(reason, true);
      }
      return true;
    },
    idle() {
      if (inFlight.size === 0) return Promise.resolve();
      return new Promise((resolve) => idleWaiters.push(resolve));
    },
    async stop() {
      stopped = true;
      pending = [];
      nextConcurrent = [];
      if (inFlight.size > 0) await new Promise<void>((resolve) => idleWaiters.push(resolve));
    },
    get running() {
      return inFlight.size > 0;
    },
  };
}
