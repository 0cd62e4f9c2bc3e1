import { createServer } from "node:http";
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import { routedBackends } from "../../controller/routing/backend-health-read";
import type { VarnishAdmin } from "../../controller/varnish/admin";
import { siteRoutingHealth } from "../../controller/varnish/backend-health";
import { loadSplitVcl, prepareSplitVcl } from "../../controller/varnish/load-split";
import { renderVcl } from "../../controller/varnish/vcl";
import type { VclInput, VclSite } from "../../controller/varnish/vcl";
import { groupLabel, groupOf, heldLabel, renderSplitVcl } from "../../controller/varnish/vcl-split";
import { hashOfName } from "../../controller/varnish/load";
import { labelTargets as labelTargetsOf } from "../../controller/varnish/load-split";
import type { SplitVcl } from "../../controller/varnish/vcl-split";
import { startLocalVarnish } from "../support/varnishd";
import type { LocalVarnish } from "../support/varnishd";

// Sites sharded into group VCLs under labels, a top-level VCL handing each Host to its group's
// label, on a real varnishd: a change to one site compiles its group's VCL alone while every
// site keeps serving.
const SITES = 20;
/** 20 sites: two groups (vcl-split.ts groupCount). */
const GROUPS = 2;
const labelOf = (i: number): string => groupLabel(groupOf(`s-${i}`, GROUPS), GROUPS);
/** Another site of s-7's group. */
const peerOf7 = Array.from({ length: SITES }, (_, i) => i).find((i) => i !== 7 && labelOf(i) === labelOf(7)) ?? -1;
let varnish: LocalVarnish;
let admin: VarnishAdmin;
const backends: Server[] = [];
const ports: number[] = [];

async function listen(tag: string): Promise<number> {
  const srv = createServer((req, res) => {
    res.setHeader("Content-Type", "text/plain");
    res.setHeader("Cache-Control", "no-store");
    res.end(`${tag} ${req.headers.host ?? ""}`);
  });
  await new Promise<void>((res) => srv.listen(0, "127.0.0.1", res));
  backends.push(srv);
  return (srv.address() as AddressInfo).port;
}

const site = (i: number, port: number): VclSite => ({
  name: `s-${i}`,
  domains: [`s-${i}.test`, `www.s-${i}.test`],
  backends: [{ host: "127.0.0.1", port }],
  healthcheck: { path: "/health", interval: 1, timeout: 1 },
  purgers: ["127.0.0.1"],
});
const sitesOn = (moved: Record<number, number> = {}, count = SITES): VclSite[] =>
  Array.from({ length: count }, (_, i) => site(i, moved[i] ?? ports[i % 2] ?? 0));
const split = (sites: VclSite[]): SplitVcl => renderSplitVcl({ sites, mode: "dnsrr" } satisfies VclInput);

async function loadedNames(): Promise<string[]> {
  return (await admin.vclList()).filter((v) => v.status !== "discarded").map((v) => v.name);
}

beforeAll(async () => {
  for (const tag of ["A", "B", "C"]) ports.push(await listen(tag));
  varnish = await startLocalVarnish(renderVcl({ sites: [], mode: "dnsrr" }));
  admin = await varnish.admin();
}, 60_000);

afterAll(async () => {
  await varnish?.stop();
  for (const b of backends) await new Promise<void>((res) => b.close(() => res()));
});

describe("split VCL on a real varnishd", () => {
  it("loads every group under its own label and routes each host; an unknown host gets the 404 page", async () => {
    const r = await loadSplitVcl(admin, split(sitesOn()));
    expect(r.failed).toEqual([]);
    expect([...r.relabelled].sort()).toEqual([groupLabel(0, GROUPS), groupLabel(1, GROUPS)]);
    expect((await varnish.get("s-3.test")).body).toBe("B s-3.test");
    expect((await varnish.get("WWW.S-4.test:8080")).body).toBe("A www.s-4.test");
    const unknown = await varnish.get("nobody.test");
    expect(unknown.status).toBe(404);
    expect(unknown.body).toContain("No site is configured for this host");
    expect((await admin.vclList()).filter((v) => v.target !== undefined)).toHaveLength(GROUPS);
  }, 120_000);

  it("a second pass with the same input sends nothing", async () => {
    const r = await loadSplitVcl(admin, split(sitesOn()));
    expect(r).toMatchObject({ changed: false, relabelled: [], failed: [] });
  });

  it("moving one site's backend compiles only its group's VCL, keeps the top-level VCL, and the others never fail meanwhile", async () => {
    const topBefore = (await admin.vclList()).find((v) => v.status === "active")?.name;
    const failures: string[] = [];
    let requests = 0;
    let stop = false;
    // Traffic for every other site while the change is loaded.
    const traffic = (async () => {
      for (let i = 0; !stop; i = (i + 1) % SITES) {
        if (i === 7) continue;
        const r = await varnish.get(`s-${i}.test`).catch((e: unknown) => ({ status: 0, body: String(e) }));
        requests++;
        if (r.status !== 200 || r.body !== `${i % 2 === 0 ? "A" : "B"} s-${i}.test`) failures.push(`s-${i}: ${r.status} ${r.body.slice(0, 80)}`);
      }
    })();
    await new Promise((r) => setTimeout(r, 200));
    const started = Date.now();
    const r = await loadSplitVcl(admin, split(sitesOn({ 7: ports[2] ?? 0 })));
    const seconds = (Date.now() - started) / 1000;
    await new Promise((res) => setTimeout(res, 200));
    stop = true;
    await traffic;
    expect(r.relabelled).toEqual([labelOf(7)]);
    expect(r.name).toBe(topBefore);
    expect(failures).toEqual([]);
    expect(requests).toBeGreaterThan(10);
    expect((await varnish.get("s-7.test")).body).toBe("C s-7.test");
    // The replaced VCL of s-7's group is discarded at once: one VCL per group label stays loaded.
    expect((await loadedNames()).filter((n) => n.startsWith("u_"))).toHaveLength(GROUPS);
    process.stderr.write(`[split-routing] one site's change live in ${seconds.toFixed(3)} s with ${SITES} sites\n`);
  }, 120_000);

  it("a site whose part does not compile stays on its last good VCL, a new one answers 503, the rest of its group goes ahead; twice; then fixed", async () => {
    // s-7 is on C since the move above; its new part would put it on A.
    const moved = { 7: ports[0] ?? 0, 8: ports[2] ?? 0, [peerOf7]: ports[2] ?? 0 };
    const good = split([...sitesOn(moved), site(SITES, ports[0] ?? 0)]);
    // What a Varnish refusing s-7's and s-20's new parts would see: any VCL with them fails.
    const refused = [`s-7.test`, `s-${SITES}.test`];
    const breaks = (vcl: string) => (refused.some((d) => vcl.includes(`"${d}"`)) ? vcl.replace("return (pass);", "return (bogus);") : vcl);
    const render = (i: VclInput) => breaks(renderVcl(i));
    const input: SplitVcl = { ...good, units: good.units.map((u) => ({ ...u, vcl: breaks(u.vcl) })) };
    // Twice: the second pass finds s-7 held and its group without it, and must keep it held.
    for (let pass = 0; pass < 2; pass++) {
      const r = await loadSplitVcl(admin, input, { render });
      expect(r.failed.map((f) => `${f.site} ${f.lastGood ? "last good" : "503"}`).sort()).toEqual([`s-${SITES} 503`, "s-7 last good"]);
      expect(r.failed[0]?.error.line).toBeGreaterThan(0);
      // s-7 on its last good VCL (C), held under a label of its own; its group's others moved.
      expect((await varnish.get("s-7.test")).body).toBe("C s-7.test");
      expect((await varnish.get(`s-${peerOf7}.test`)).body).toBe(`C s-${peerOf7}.test`);
      expect((await varnish.get("s-8.test")).body).toBe("C s-8.test");
      const fresh = await varnish.get(`s-${SITES}.test`);
      expect(fresh.status).toBe(503);
      expect(fresh.body).toContain("temporarily unavailable");
      expect(labelTargetsOf(await admin.vclList()).get(heldLabel("s-7"))).toMatch(/^u_/);
      // Routing health counts s-7's backend in the VCL it is held on, not its group's other sites' old ones there.
      const health = siteRoutingHealth([{ task: "t", backends: await routedBackends(admin) }]);
      for (const i of [7, peerOf7, 8]) expect(health.get(`s-${i}`)).toMatchObject({ tasks: 1, healthy: 1, sick: 0 });
    }
    // Fixed: the new site routes, s-7 takes its new part, the held label is gone.
    const fixed = await loadSplitVcl(admin, good);
    expect(fixed.failed).toEqual([]);
    expect((await varnish.get(`s-${SITES}.test`)).body).toBe(`A s-${SITES}.test`);
    expect((await varnish.get("s-7.test")).body).toBe("A s-7.test");
    expect(await loadedNames()).not.toContain(heldLabel("s-7"));
  }, 180_000);

  it("removing sites discards their labels and VCLs; what stays loaded does not grow with the number of changes", async () => {
    for (const port of [ports[0], ports[1], ports[0]]) await loadSplitVcl(admin, split(sitesOn({ 7: port ?? 0 })));
    const r = await loadSplitVcl(admin, split(sitesOn({}, SITES - 2)));
    expect(r.notDiscarded).toEqual([]);
    const names = await loadedNames();
    expect(names.filter((n) => n.startsWith("l_"))).toEqual([groupLabel(0, GROUPS), groupLabel(1, GROUPS)]);
    expect(names.filter((n) => n.startsWith("u_"))).toHaveLength(GROUPS);
    // The active top-level VCL, "boot" and at most 2 older top-level VCLs for rollback.
    expect(names.filter((n) => n.startsWith("s_")).length).toBeLessThanOrEqual(3);
    expect((await varnish.get(`s-${SITES - 1}.test`)).status).toBe(404);
    expect((await varnish.get("s-0.test")).body).toBe("A s-0.test");
  }, 120_000);

  it("routing health reads the backends of every group's labelled VCL", async () => {
    const health = siteRoutingHealth([{ task: "t", backends: await routedBackends(admin) }]);
    expect([...health.keys()]).toHaveLength(SITES - 2);
    expect(health.get("s-3")).toMatchObject({ tasks: 1, healthy: 1, sick: 0 });
  });

  it("a group VCL prepared for a starting task is compiled cold and routes nothing until the load, which warms it and only moves the label; unused ones go after two minutes", async () => {
    const moved = split(sitesOn({ 7: ports[2] ?? 0 }, SITES - 2));
    const before = (await varnish.get("s-7.test")).body;
    expect(before).not.toBe("C s-7.test");
    const prepared = await prepareSplitVcl(admin, moved);
    expect(prepared).toEqual([expect.stringMatching(/^p_[0-9a-f]{12}_\d+$/)]);
    // Cold: no probe of the starting task counts against it once it is used.
    expect((await admin.vclList()).find((v) => v.name === prepared[0])).toMatchObject({ state: "cold" });
    expect((await varnish.get("s-7.test")).body).toBe(before);
    expect(await prepareSplitVcl(admin, moved)).toEqual([]);
    const r = await loadSplitVcl(admin, moved);
    expect(r.relabelled).toEqual([labelOf(7)]);
    expect(labelTargetsOf(await admin.vclList()).get(labelOf(7))).toBe(prepared[0]);
    expect((await admin.vclList()).find((v) => v.name === prepared[0])).toMatchObject({ state: "auto", temperature: "warm" });
    expect((await varnish.get("s-7.test")).body).toBe("C s-7.test");
    // Its backend's probe starts over as a fresh compile's: healthy from `.initial`.
    const health = siteRoutingHealth([{ task: "t", backends: await routedBackends(admin) }]);
    expect(health.get("s-7")).toMatchObject({ tasks: 1, healthy: 1, sick: 0 });
    // A task that answers nothing while it starts: were its prepared VCL probing meanwhile, three
    // failed probes (1 s apart) would have made it sick, and the site would answer 503 once used.
    const starting = createServer((req, res) => {
      res.setHeader("Cache-Control", "no-store");
      res.end(`D ${req.headers.host ?? ""}`);
    });
    await new Promise<void>((res) => starting.listen(0, "127.0.0.1", res));
    const port = (starting.address() as AddressInfo).port;
    await new Promise<void>((res) => starting.close(() => res()));
    const onStarting = split(sitesOn({ 7: port }, SITES - 2));
    const [quiet] = await prepareSplitVcl(admin, onStarting);
    await new Promise((res) => setTimeout(res, 4_000));
    await new Promise<void>((res) => starting.listen(port, "127.0.0.1", res));
    backends.push(starting);
    await loadSplitVcl(admin, onStarting);
    expect(labelTargetsOf(await admin.vclList()).get(labelOf(7))).toBe(quiet);
    expect((await varnish.get("s-7.test")).body).toBe("D s-7.test");
    const back = split(sitesOn({}, SITES - 2));
    expect(await loadSplitVcl(admin, back)).toMatchObject({ relabelled: [labelOf(7)], failed: [] });
    expect((await varnish.get("s-7.test")).body).toBe(before);
    // Prepared for a change that does not come: kept (cold) by a load that does not use it, discarded two minutes on.
    const unused = await prepareSplitVcl(admin, split(sitesOn({ 8: ports[2] ?? 0 }, SITES - 2)));
    expect(unused).toHaveLength(1);
    await loadSplitVcl(admin, back);
    expect((await admin.vclList()).find((v) => v.name === unused[0])).toMatchObject({ state: "cold" });
    const later = await loadSplitVcl(admin, back, { now: Date.now() + 121_000 });
    expect(later.notDiscarded).toEqual([]);
    expect(await loadedNames()).not.toContain(unused[0]);
    expect((await loadedNames()).filter((n) => n.startsWith("u_") || n.startsWith("p_"))).toHaveLength(GROUPS);
    // A Varnish without labels of ours yet is left to its first load.
    const fresh = await startLocalVarnish(renderVcl({ sites: [], mode: "dnsrr" }));
    try {
      expect(await prepareSplitVcl(await fresh.admin(), moved)).toEqual([]);
    } finally {
      await fresh.stop();
    }
  }, 120_000);

  it("a Varnish with no group VCL yet serves every site from the single VCL while the groups' VCLs compile (100 sites, 8 groups), then drops it", async () => {
    const fresh = await startLocalVarnish(renderVcl({ sites: [], mode: "dnsrr" }));
    try {
      const a = await fresh.admin();
      const input: VclInput = { sites: sitesOn({}, 100), mode: "dnsrr" };
      const started = Date.now();
      let doneAt = 0;
      const loading = loadSplitVcl(a, renderSplitVcl(input), { whole: () => renderVcl(input) }).finally(() => (doneAt = Date.now()));
      // Served long before the load returns: 8 group VCLs take seconds, the single VCL one compile.
      let servedAt = 0;
      while (servedAt === 0 && doneAt === 0) {
        const r = await fresh.get("s-5.test").catch(() => ({ status: 0, body: "" }));
        if (r.body === "B s-5.test") servedAt = Date.now();
        await new Promise((res) => setTimeout(res, 50));
      }
      const r = await loading;
      expect(servedAt).toBeGreaterThan(0);
      expect(servedAt - started).toBeLessThan((doneAt - started) / 2);
      expect(r.failed).toEqual([]);
      expect(r.relabelled).toHaveLength(8);
      expect((await fresh.get("s-5.test")).body).toBe("B s-5.test");
      // Only the top-level VCL and "boot" remain of the s_*/boot kind: the single VCL is discarded.
      const left = (await a.vclList()).filter((v) => v.status !== "discarded" && v.target === undefined && (hashOfName(v.name) !== undefined || v.name === "boot"));
      expect(left.map((v) => v.name).sort()).toEqual(["boot", r.name].sort());
      // Later changes never load it again: the Varnish has site labels now.
      const again = await loadSplitVcl(a, renderSplitVcl({ sites: sitesOn({ 5: ports[2] ?? 0 }, 100), mode: "dnsrr" }), {
        whole: () => {
          throw new Error("the single VCL is rendered only for a Varnish without site labels");
        },
      });
      expect(again.relabelled).toEqual([groupLabel(groupOf("s-5", 8), 8)]);
    } finally {
      await fresh.stop();
    }
  }, 120_000);
});
