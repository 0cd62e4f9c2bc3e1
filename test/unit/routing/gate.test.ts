import type { ResolvedCluster, ResolvedSite } from "../../../controller/manifests/types";
import { createRoutingGate, RoutingManifests } from "../../../controller/routing/gate";

const manifests = (commit: string): RoutingManifests => ({ cluster: { instance: commit } as ResolvedCluster, sites: [{ name: commit } as ResolvedSite] });

describe("createRoutingGate", () => {
  it("a run that started earlier renders from the newer run's manifests once that one applies", () => {
    const gate = createRoutingGate();
    const a = gate.forRun(1);
    const b = gate.forRun(2);
    const c1 = manifests("c1");
    const c2 = manifests("c2");
    a.admit(c1);
    expect(a.sources(c1)).toBe(c1);
    b.admit(c2);
    expect(a.sources(c1)).toBe(c2);
    expect(b.sources(c2)).toBe(c2);
    // An older run admitting again (its second pass) does not take it back.
    a.admit(c1);
    expect(b.sources(c2)).toBe(c2);
    expect(a.sources(c1)).toBe(c2);
  });

  it("loads one at a time, and says when another loaded since this run's last load", async () => {
    const gate = createRoutingGate();
    const a = gate.forRun(1);
    const b = gate.forRun(2);
    const order: string[] = [];
    let releaseFirst: () => void = () => undefined;
    const first = a.load(async (stale) => {
      order.push(`a start ${stale}`);
      await new Promise<void>((r) => (releaseFirst = r));
      order.push("a end");
    });
    const second = b.load(async (stale) => void order.push(`b ${stale}`));
    const third = a.load(async (stale) => void order.push(`a again ${stale}`));
    const fourth = a.load(async (stale) => void order.push(`a once more ${stale}`));
    await new Promise((r) => setImmediate(r));
    expect(order).toEqual(["a start false"]);
    releaseFirst();
    await Promise.all([first, second, third, fourth]);
    expect(order).toEqual(["a start false", "a end", "b true", "a again true", "a once more false"]);
    await gate.load(async () => undefined);
    await a.load(async (stale) => void order.push(`a after a routing-only sync ${stale}`));
    expect(order.at(-1)).toBe("a after a routing-only sync true");
  });

  it("a failed load does not stop the next", async () => {
    const gate = createRoutingGate();
    const a = gate.forRun(1);
    await expect(a.load(async () => Promise.reject(new Error("varnish gone")))).rejects.toThrow("varnish gone");
    await expect(a.load(async () => "ok")).resolves.toBe("ok");
  });
});
