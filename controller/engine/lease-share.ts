import type { Lease, LeaseOptions } from "./lease";

/** How a lease is taken: engine/lease.ts acquireLease with its engine bound. */
export type AcquireLease = (instance: string, opts: LeaseOptions) => Promise<Lease>;

interface Hold {
  readonly lease: Promise<Lease>;
  users: number;
}

/**
 * One process's hold of the instance lock, shared by its runs that reconcile side by side (the
 * daemon applying one site while another rolls out): the first taker acquires the lock, every
 * later one joins that hold instead of asking for it again (which would find it held by this
 * very process and be refused), and the last to give it back releases it. To every other
 * process (a `simulium apply`, another daemon) the process is one holder, as before: they wait
 * or are refused. A taker arriving while the last release is still on its way waits for it and
 * then acquires afresh.
 */
export function sharedLease(acquire: AcquireLease): AcquireLease {
  const holds = new Map<string, Hold>();
  const releasing = new Map<string, Promise<void>>();
  return async (instance, opts) => {
    for (let r = releasing.get(instance); r !== undefined; r = releasing.get(instance)) await r.catch(() => undefined);
    let hold = holds.get(instance);
    if (hold === undefined) {
      const fresh: Hold = { lease: acquire(instance, opts), users: 0 };
      // A refused or failed acquire is no hold: the next taker asks again.
      fresh.lease.catch(() => {
        if (holds.get(instance) === fresh) holds.delete(instance);
      });
      holds.set(instance, fresh);
      hold = fresh;
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
      async release() {
        if (given) return;
        given = true;
        joined.users--;
        if (joined.users > 0) return;
        if (holds.get(instance) === joined) holds.delete(instance);
        const done: Promise<void> = lease.release().finally(() => {
          if (releasing.get(instance) === done) releasing.delete(instance);
        });
        releasing.set(instance, done);
        await done;
      },
    };
  };
}
