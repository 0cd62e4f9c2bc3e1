import type { ResolvedCluster, ResolvedSite } from "../../../controller/manifests/types";
import { createRoutingGate, RoutingManifests } from "../../../controller/routing/gate";

describe("createRoutingGate", () => {
  it("each site renders from the run that owns it (applied it last): a site an older run still rolls out keeps that run's port and health check", () => {
    const gate = createRoutingGate();
    const site = (name: string, commit: string) => ({ name, port: commit } as unknown as ResolvedSite);
    const commit = (c: string, names: string[], invalid: string[] = []): RoutingManifests => ({ cluster: { instance: c } as ResolvedCluster, sites: names.map((n) => site(n, c)), invalidSites: invalid });
    const shown = (m: RoutingManifests) => ({ cluster: m.cluster.instance, sites: m.sites.map((s) => `${s.name}@${(s as unknown as { port: string }).port}`).sort(), invalid: [...(m.invalidSites ?? [])].sort() });
    // The ordinary run rolls out a (commit 1, a new port); commit 2 changes a back, b, adds x, removes c, and makes d invalid.
    const full = gate.forRun(1, true);
    const c1 = commit("c1", ["a", "b", "c", "d"]);
    full.admit(c1, new Set(["a"]));
    const beside = gate.forRun(2, false);
    const c2 = commit("c2", ["a", "b", "x"], ["d"]);
    // It takes b, x, c, d; a is the ordinary run's.
    beside.admit(c2, new Set(["b", "x", "c", "d"]));
    const expected = { cluster: "c2", sites: ["a@c1", "b@c2", "x@c2"], invalid: ["d"] };
    expect(shown(full.sources(c1))).toEqual(expected);
    expect(shown(beside.sources(c2))).toEqual(expected);
    // The ordinary run's second pass (it leaves b, c, d, x to the newer run) changes nothing of it.
    full.admit(c1, new Set(["a"]));
    expect(shown(full.sources(c1))).toEqual(expected);
    // The follow-up run applies commit 2 everywhere: every site from it.
    const followUp = gate.forRun(3, true);
    followUp.admit(c2, new Set(["a"]));
    expect(shown(followUp.sources(c2))).toEqual({ cluster: "c2", sites: ["a@c2", "b@c2", "x@c2"], invalid: ["d"] });
  });

  it("loads one at a time, and says when another loaded since this run's last load", async () => {
    const gate = createRoutingGate();
    const a = gate.forRun(1, true);
    const b = gate.forRun(2, false);
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
    const a = gate.forRun(1, true);
    await expect(a.load(async () => Promise.reject(new Error("varnish gone")))).rejects.toThrow("varnish gone");
    await expect(a.load(async () => "ok")).resolves.toBe("ok");
  });
});
