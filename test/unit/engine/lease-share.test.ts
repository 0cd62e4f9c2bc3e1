import type { Lease, LeaseOptions } from "../../../controller/engine/lease";
import { sharedLease } from "../../../controller/engine/lease-share";

const opts: LeaseOptions = { what: "test" };
const tick = (): Promise<void> => new Promise((r) => setImmediate(r));

/** A fake lock: counts real acquires and releases, each settled by the test. */
function fakeLock() {
  const events: string[] = [];
  let held = false;
  const pendingAcquires: Array<{ resolve: () => void; reject: (e: Error) => void }> = [];
  const pendingReleases: Array<() => void> = [];
  let n = 0;
  const acquire = (instance: string): Promise<Lease> => {
    events.push(`acquire ${instance}`);
    return new Promise<Lease>((resolve, reject) => {
      pendingAcquires.push({
        resolve: () => {
          if (held) throw new Error("acquired twice without release");
          held = true;
          const id = ++n;
          events.push(`held ${id}`);
          resolve({
            holder: `holder ${id}`,
            release: () =>
              new Promise<void>((done) => {
                events.push(`release ${id}`);
                pendingReleases.push(() => {
                  held = false;
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
});
