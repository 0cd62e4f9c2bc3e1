import type Docker from "dockerode";
import { spawnSync } from "node:child_process";
import os from "node:os";
import { acquireLease, LeaseHeldError, LeaseLostError } from "../../../controller/engine/lease";

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

  it("a renewal that finds the lease taken (even by this very process again) says it is lost, stops renewing, and its release leaves the new holder's lease", async () => {
    jest.useFakeTimers({ doNotFake: ["setImmediate", "nextTick"] });
    try {
      let config: { ID: string; Version: { Index: number }; UpdatedAt: string; Spec: { Name: string; Labels: Record<string, string>; Data: string } } | undefined;
      const removed: string[] = [];
      const docker = {
        createConfig: (spec: { Name: string; Labels: Record<string, string>; Data: string }) => {
          if (config) return Promise.reject(Object.assign(new Error("exists"), { statusCode: 409 }));
          config = { ID: "c1", Version: { Index: 1 }, UpdatedAt: new Date().toISOString(), Spec: spec };
          return Promise.resolve({ id: "c1" });
        },
        getConfig: () => ({
          inspect: () => (config ? Promise.resolve(config) : Promise.reject(Object.assign(new Error("gone"), { statusCode: 404 }))),
          update: (o: { Labels: Record<string, string> }) => {
            if (config) config = { ...config, Version: { Index: config.Version.Index + 1 }, Spec: { ...config.Spec, Labels: o.Labels } };
            return Promise.resolve();
          },
          remove: () => {
            removed.push("c1");
            config = undefined;
            return Promise.resolve();
          },
        }),
        info: () => Promise.resolve({ SystemTime: new Date().toISOString() }),
      } as unknown as Docker;
      const errors: Error[] = [];
      const first = await acquireLease(docker, "demo", { what: "simulium daemon", ttlSeconds: 3, onRenewError: (e) => errors.push(e) });
      // The same process takes it over after it expired (same holder name, same config): a new hold.
      if (!config) throw new Error("no lease config");
      expect(first.lost()).toBeUndefined();
      const labels: Record<string, string> = { ...config.Spec.Labels, "simulium.lease-token": "another-acquisition" };
      config = { ...config, Spec: { ...config.Spec, Labels: labels } };
      await jest.advanceTimersByTimeAsync(1000);
      expect(errors.map((e) => e.name)).toEqual(["LeaseLostError"]);
      expect(first.lost()).toBeInstanceOf(LeaseLostError);
      await jest.advanceTimersByTimeAsync(5000);
      expect(errors).toHaveLength(1);
      expect(config?.Spec.Labels["simulium.lease-token"]).toBe("another-acquisition");
      await first.release();
      expect(removed).toEqual([]);
    } finally {
      jest.useRealTimers();
    }
  });
  it("a hold whose renewals have not come back for its lifetime says it is lost, without waiting for them", async () => {
    jest.useFakeTimers();
    try {
      const docker = {
        createConfig: () => Promise.resolve({ id: "c1" }),
        // The engine stops answering: each renewal hangs.
        getConfig: () => ({ inspect: () => new Promise(() => undefined) }),
      } as unknown as Docker;
      const lease = await acquireLease(docker, "demo", { what: "simulium daemon", ttlSeconds: 3 });
      await jest.advanceTimersByTimeAsync(2900);
      expect(lease.lost()).toBeUndefined();
      await jest.advanceTimersByTimeAsync(200);
      expect(lease.lost()).toBeInstanceOf(LeaseLostError);
    } finally {
      jest.useRealTimers();
    }
  });
});
