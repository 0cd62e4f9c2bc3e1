import type Docker from "dockerode";
import { spawnSync } from "node:child_process";
import os from "node:os";
import { acquireLease, LeaseHeldError } from "../../../controller/engine/lease";

/** An engine that has a lease held by someone else, written `writtenAgo` seconds ago by the managers' clock. */
function heldBy(holder: string, writtenAgo: number, ttl = 90, extra: Record<string, string> = {}): Docker {
  const engineNow = Date.parse("2026-11-30T10:00:00Z");
  const config = {
    ID: "c1",
    Version: { Index: 3 },
    UpdatedAt: new Date(engineNow - writtenAgo * 1000).toISOString(),
    Spec: { Name: "demo_lock", Labels: { "simulium.lease-holder": holder, "simulium.lease-since": "then", "simulium.lease-until": "later", "simulium.lease-ttl-seconds": String(ttl), ...extra } },
  };
  const updates: unknown[] = [];
  return {
    createConfig: () => Promise.reject(Object.assign(new Error("exists"), { statusCode: 409 })),
    getConfig: () => ({ inspect: () => Promise.resolve(config), update: (o: unknown) => (updates.push(o), Promise.resolve()), remove: () => Promise.resolve() }),
    // The managers' time, whatever this host's clock says.
    info: () => Promise.resolve({ SystemTime: new Date(engineNow).toISOString() }),
  } as unknown as Docker;
}

describe("engine: the instance lease", () => {
  it("a live lease is refused at once, naming its holder", async () => {
    await expect(acquireLease(heldBy("simulium daemon on ops1 (pid 7)", 10), "demo", { what: "simulium apply" })).rejects.toThrow(LeaseHeldError);
    await expect(acquireLease(heldBy("simulium daemon on ops1 (pid 7)", 10), "demo", { what: "simulium apply" })).rejects.toThrow(/being changed by simulium daemon on ops1 \(pid 7\)/);
  });

  it("expiry is judged by the engine's clock, not this host's", async () => {
    // This host's clock is far in the future: by it the lease would have expired long ago.
    const realNow = Date.now;
    Date.now = () => Date.parse("2030-01-01T00:00:00Z");
    try {
      await expect(acquireLease(heldBy("another apply", 10), "demo", { what: "simulium apply" })).rejects.toThrow(LeaseHeldError);
    } finally {
      Date.now = realNow;
    }
    const lease = await acquireLease(heldBy("another apply", 120), "demo", { what: "simulium apply" });
    expect(lease.holder).toMatch(/^simulium apply on /);
    await lease.release();
  });

  it("a wait that is not a number is refused, not waited forever", async () => {
    await expect(acquireLease(heldBy("daemon", 10), "demo", { what: "simulium apply", waitSeconds: Number("1m") })).rejects.toThrow(RangeError);
  });

  it("a holder on this host whose process is gone (killed mid-apply) is taken over at once; a live one is not", async () => {
    const dead = spawnSync("true").pid;
    const lease = await acquireLease(heldBy("simulium apply (killed)", 5, 90, { "simulium.lease-host": os.hostname(), "simulium.lease-pid": String(dead) }), "demo", { what: "simulium daemon" });
    await lease.release();
    const alive = { "simulium.lease-host": os.hostname(), "simulium.lease-pid": String(process.ppid) };
    await expect(acquireLease(heldBy("simulium apply (running)", 5, 90, alive), "demo", { what: "simulium daemon" })).rejects.toThrow(LeaseHeldError);
    const elsewhere = { "simulium.lease-host": "another-host", "simulium.lease-pid": String(dead) };
    await expect(acquireLease(heldBy("simulium apply (other host)", 5, 90, elsewhere), "demo", { what: "simulium daemon" })).rejects.toThrow(LeaseHeldError);
  });
});
