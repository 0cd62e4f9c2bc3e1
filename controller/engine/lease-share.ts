import { Lease, LeaseLostError, LeaseOptions } from "./lease";

/** How a lease is taken: engine/lease.ts acquireLease with its engine bound. */
export type AcquireLease = (instance: string, opts: LeaseOptions) => Promise<Lease>;

interface Hold {
  readonly lease: Promise<Lease>;
  users: number;
  /** A renewal found it lost (engine/lease.ts LeaseLostError): nobody joins it any more. */
  lost: boolean;
}

/**
 * One process's hold of the instance lock, shared by its runs that reconcile side by side (the
 * daemon applying one site while another rolls out): the first taker acquires the lock, every
 * later one joins that hold instead of asking for it again (which would find it held by this
 * very process and be refused), and the last to give it back releases it. To every other
 * process (a `simulium apply`, another daemon) the process is one holder, as before: they wait
 * or are refused. A taker arriving while the last release is still on its way waits for it and
 * then acquires afresh. A hold that is lost (taken over after it expired) is joined by no one:
 * the next taker acquires afresh, waiting for the lock like any holder.
 */
export function sharedLease(acquire: AcquireLease): AcquireLease {
  const holds = new Map<string, Hold>();
  const releasing = new Map<string, Promise<void>>();
  return async (instance, opts) => {
    for (let r = releasing.get(instance); r !== undefined; r = releasing.get(instance)) await r.catch(() => undefined);
    let hold = holds.get(instance);
    if (hold === undefined) {
      let fresh: Hold | undefined;
      const onRenewError = (err: Error): void => {
        if (err instanceof LeaseLostError && fresh !== undefined) {
          fresh.lost = true;
          if (holds.get(instance) === fresh) holds.delete(instance);
        }
        opts.onRenewError?.(err);
      };
      const made: Hold = { lease: acquire(instance, { ...opts, onRenewError }), users: 0, lost: false };
      fresh = made;
      // A refused or failed acquire is no hold: the next taker asks again.
      made.lease.catch(() => {
        if (holds.get(instance) === made) holds.delete(instance);
      });
      holds.set(instance, made);
      hold = made;
    }
    const joined = hold;
    joined.users++;
    let lease: Lease;
    try {
      lease = await joined.lease;
    } catch (err) {
      joined.users--;
      throw err;
    }
    let given = false;
    return {
      holder: lease.holder,
      lost: () => lease.lost(),
      async release() {
        if (given) return;
        given = true;
        joined.users--;
        if (joined.users > 0) return;
        if (holds.get(instance) === joined) holds.delete(instance);
        // A lost hold is not the lock any more: giving it back keeps no new taker waiting.
        if (joined.lost) return lease.release();
        const done: Promise<void> = lease.release().finally(() => {
          if (releasing.get(instance) === done) releasing.delete(instance);
        });
        releasing.set(instance, done);
        await done;
      },
    };
  };
}
