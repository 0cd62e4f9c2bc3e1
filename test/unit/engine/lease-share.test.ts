import { Lease, LeaseLostError, LeaseOptions } from "../../../controller/engine/lease";
import { sharedLease } from "../../../controller/engine/lease-share";

const opts: LeaseOptions = { what: "test" };
const tick = (): Promise<void> => new Promise((r) => setImmediate(r));

/** A fake lock: counts real acquires and releases, each settled by the test. */
function fakeLock() {
  const events: string[] = [];
  let held = false;
  const pendingAcquires: Array<{ resolve: () => void; reject: (e: Error) => void }> = [];
  const pendingReleases: Array<() => void> = [];
  /** Each real acquire's renewal-error callback: what the engine lease calls when a renewal fails. */
  const renewErrors: Array<((err: Error) => void) | undefined> = [];
  /** Leases taken over by another: giving one back leaves the lock as it is (engine/lease.ts's token). */
  const lostIds = new Set<number>();
  let n = 0;
  const acquire = (instance: string, o: LeaseOptions): Promise<Lease> => {
    events.push(`acquire ${instance}`);
    renewErrors.push(o.onRenewError);
    return new Promise<Lease>((resolve, reject) => {
      pendingAcquires.push({
        resolve: () => {
          if (held) throw new Error("acquired twice without release");
          held = true;
          const id = ++n;
          events.push(`held ${id}`);
          resolve({
            holder: `holder ${id}`,
            lost: () => (lostIds.has(id) ? new LeaseLostError("i", "the instance lock is no longer held by holder") : undefined),
            release: () =>
              new Promise<void>((done) => {
                events.push(`release ${id}`);
                pendingReleases.push(() => {
                  if (!lostIds.has(id)) held = false;
                  events.push(`released ${id}`);
                  done();
                });
              }),
          });
        },
        reject,
      });
    });
  };
  return {
    acquire,
    events,
    held: () => held,
    grant: async () => {
      pendingAcquires.shift()?.resolve();
      await tick();
    },
    refuse: async (e: Error) => {
      pendingAcquires.shift()?.reject(e);
      await tick();
    },
    finishRelease: async () => {
      pendingReleases.shift()?.();
      await tick();
    },
    acquiresWaiting: () => pendingAcquires.length,
    /** The lock was taken over by another process after it expired (its renewal found it). */
    lose: (acquireNumber: number) => {
      held = false;
      lostIds.add(acquireNumber);
      renewErrors[acquireNumber - 1]?.(new LeaseLostError("i", "the instance lock is no longer held by holder"));
    },
  };
}

describe("sharedLease", () => {
  it("acquires once for concurrent takers and releases when the last one gives it back", async () => {
    const lock = fakeLock();
    const take = sharedLease(lock.acquire);
    const a = take("i", opts);
    const b = take("i", opts);
    await tick();
    expect(lock.acquiresWaiting()).toBe(1);
    await lock.grant();
    const [la, lb] = await Promise.all([a, b]);
    expect(la.holder).toBe(lb.holder);
    await la.release();
    expect(lock.held()).toBe(true);
    expect(lock.events.filter((e) => e.startsWith("release"))).toEqual([]);
    const releasing = lb.release();
    await tick();
    await lock.finishRelease();
    await releasing;
    expect(lock.held()).toBe(false);
    expect(lock.events).toEqual(["acquire i", "held 1", "release 1", "released 1"]);
  });

  it("a taker joining a held lease shares it; releasing one handle twice counts once", async () => {
    const lock = fakeLock();
    const take = sharedLease(lock.acquire);
    const a = take("i", opts);
    await lock.grant();
    const la = await a;
    const lb = await take("i", opts);
    await la.release();
    await la.release();
    expect(lock.held()).toBe(true);
    const r = lb.release();
    await tick();
    await lock.finishRelease();
    await r;
    expect(lock.held()).toBe(false);
  });

  it("a taker arriving while the last release is under way waits for it, then acquires afresh", async () => {
    const lock = fakeLock();
    const take = sharedLease(lock.acquire);
    const a = take("i", opts);
    await lock.grant();
    const r = (await a).release();
    await tick();
    const c = take("i", opts);
    await tick();
    // Not joined to the lease being released, and not asked for while it still exists.
    expect(lock.acquiresWaiting()).toBe(0);
    await lock.finishRelease();
    await r;
    await tick();
    expect(lock.acquiresWaiting()).toBe(1);
    await lock.grant();
    expect((await c).holder).toBe("holder 2");
  });

  it("a refused acquire fails every taker waiting on it, and the next taker asks again", async () => {
    const lock = fakeLock();
    const take = sharedLease(lock.acquire);
    const a = take("i", opts);
    const b = take("i", opts);
    await tick();
    await lock.refuse(new Error("held by simulium apply"));
    await expect(a).rejects.toThrow("held by simulium apply");
    await expect(b).rejects.toThrow("held by simulium apply");
    const c = take("i", opts);
    await tick();
    await lock.grant();
    expect((await c).holder).toBe("holder 1");
  });

  it("once the hold is lost, no new run joins it: the next taker acquires afresh, and the lost hold's last release does not delay it", async () => {
    const lock = fakeLock();
    const seen: Error[] = [];
    const take = sharedLease(lock.acquire);
    const a = take("i", { ...opts, onRenewError: (e) => seen.push(e) });
    await lock.grant();
    const la = await a;
    expect(la.lost()).toBeUndefined();
    lock.lose(1);
    expect(seen.map((e) => e.name)).toEqual(["LeaseLostError"]);
    // A run that waited while holding it sees it is lost before it changes anything.
    expect(la.lost()).toBeInstanceOf(LeaseLostError);
    const b = take("i", opts);
    await tick();
    // Not joined to the lost hold: a real acquire waits for the lock.
    expect(lock.acquiresWaiting()).toBe(1);
    let bHolder: string | undefined;
    void b.then((l) => (bHolder = l.holder));
    await tick();
    expect(bHolder).toBeUndefined();
    await lock.grant();
    const lb = await b;
    expect(lb.holder).toBe("holder 2");
    expect(lb.lost()).toBeUndefined();
    // The run that held the lost lease ends: it gives back its handle without touching the new hold.
    const r = la.release();
    await tick();
    await lock.finishRelease();
    await r;
    expect(lock.held()).toBe(true);
    const c = take("i", opts);
    expect((await c).holder).toBe("holder 2");
  });
});
