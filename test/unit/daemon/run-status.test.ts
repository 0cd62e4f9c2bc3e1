import { invalidBySite, mergeRecords, nextRecords, notificationEvents, recordsWithRouting, SiteRecord, SiteRecords, stateCounts, tallyActions } from "../../../controller/daemon/run-status";
import { siteRoutingHealth } from "../../../controller/varnish/backend-health";
import type { ManifestError } from "../../../controller/manifests/types";
import type { Action } from "../../../controller/plan/types";
import type { SiteStatus } from "../../../controller/reconcile/status";
import type { Revision } from "../../../controller/source/types";

const rev = (sha: string, author = "Ada"): Revision => ({ sha, author, email: "a@example.org", date: "2026-01-01T00:00:00Z", subject: `commit ${sha}` });
const status = (site: string, state: SiteStatus["state"], commit: string | null = "c1", lastError: string | null = null): SiteStatus => ({
  site,
  state,
  commit,
  tasks: { running: state === "converged" ? 1 : 0, desired: 1 },
  lastError,
});
const at = Date.parse("2026-01-02T00:00:00Z");
const none: SiteRecords = new Map();

describe("nextRecords", () => {
  test("copies the swarm's view of each site with the time of the run", () => {
    const next = nextRecords(none, { revision: rev("c1"), statuses: [status("a", "converged")], outcomes: [], invalid: new Map(), at });
    expect(next.get("a")).toEqual({
      site: "a",
      state: "converged",
      appliedCommit: "c1",
      tasks: { running: 1, desired: 1 },
      lastError: null,
      lastReconcileAt: "2026-01-02T00:00:00.000Z",
    });
  });

  test("a failed apply wins over a swarm that looks fine after its rollback", () => {
    const next = nextRecords(none, {
      revision: rev("c2"),
      statuses: [status("a", "converged", "c1")],
      outcomes: [{ site: "a", state: "failed", error: "update service a_web: task exited", applied: 1 }],
      invalid: new Map(),
      at,
    });
    expect(next.get("a")).toMatchObject({ state: "failed", appliedCommit: "c1", lastError: "update service a_web: task exited" });
  });

  test("an invalid site keeps the commit and author that broke it until a later commit fixes it", () => {
    const invalid = new Map([["a", "sites/a.yaml:3:5: spec.domains: must be a list"]]);
    const first = nextRecords(none, { revision: rev("bad", "Bob"), statuses: [status("a", "invalid")], outcomes: [], invalid, at });
    expect(first.get("a")).toMatchObject({ state: "invalid", lastError: invalid.get("a"), invalid: { error: invalid.get("a"), commit: "bad", author: "Bob" } });

    const later = nextRecords(first, { revision: rev("unrelated", "Cy"), statuses: [status("a", "invalid")], outcomes: [], invalid, at });
    expect(later.get("a")?.invalid).toEqual({ error: invalid.get("a"), commit: "bad", author: "Bob" });

    const otherError = new Map([["a", "sites/a.yaml:1:1: different"]]);
    const changed = nextRecords(later, { revision: rev("worse", "Di"), statuses: [status("a", "invalid")], outcomes: [], invalid: otherError, at });
    expect(changed.get("a")?.invalid).toMatchObject({ commit: "worse", author: "Di" });

    const fixed = nextRecords(changed, { revision: rev("fix"), statuses: [status("a", "converged")], outcomes: [], invalid: new Map(), at });
    expect(fixed.get("a")?.invalid).toBeUndefined();
    expect(fixed.get("a")?.state).toBe("converged");
  });
});

describe("notificationEvents", () => {
  const records = (entries: Array<[string, SiteStatus["state"], string | null]>): SiteRecords =>
    nextRecords(none, {
      revision: rev("c"),
      statuses: entries.map(([s, st, e]) => status(s, st, "c", e)),
      outcomes: [],
      invalid: new Map(entries.filter(([, st]) => st === "invalid").map(([s, , e]) => [s, e ?? "bad"])),
      at,
    });

  test("reports failed and invalid sites, recoveries, and the applied commit with counts", () => {
    const prev = records([["a", "failed", "boom"], ["b", "converged", null], ["c", "converged", null]]);
    const next = records([["a", "converged", null], ["b", "failed", "oom"], ["c", "invalid", "bad yaml"]]);
    expect(notificationEvents(prev, next, rev("c9"), true)).toEqual([
      { type: "site.recovered", site: "a", commit: "c9" },
      { type: "site.failed", site: "b", commit: "c9", message: "oom" },
      { type: "site.invalid", site: "c", commit: "c9", message: "bad yaml" },
      { type: "commit.applied", commit: "c9", subject: "commit c9", sites: { ready: 1, failed: 1, invalid: 1 } },
    ]);
  });

  describe("a site's pinned node", () => {
    const withNode = (site: string, unavailable: string | null, hostname = "node2"): SiteStatus => ({
      ...status(site, unavailable === null ? "converged" : "degraded", "c", unavailable === null ? null : `node ${hostname} unavailable (${unavailable})`),
      node: { id: `id-${hostname}`, hostname, unavailable },
    });
    const run = (prev: SiteRecords, statuses: SiteStatus[]): SiteRecords => nextRecords(prev, { revision: rev("c"), statuses, outcomes: [], invalid: new Map(), at });

    test("becoming unavailable is one site.degraded naming the node and why, its return one site.node-recovered; resyncs in between say nothing", () => {
      const up = run(none, [withNode("a", null), withNode("b", null, "node3")]);
      const drained = run(up, [withNode("a", "drained"), withNode("b", null, "node3")]);
      expect(notificationEvents(up, drained, rev("c"), false)).toEqual([
        { type: "site.degraded", site: "a", commit: "c", node: "node2", nodeId: "id-node2", reason: "drained", message: "node node2 unavailable (drained)" },
      ]);
      const resync = run(drained, [withNode("a", "drained"), withNode("b", null, "node3")]);
      expect(notificationEvents(drained, resync, rev("c"), false)).toEqual([]);
      const back = run(resync, [withNode("a", null), withNode("b", null, "node3")]);
      expect(notificationEvents(resync, back, rev("c"), false)).toEqual([{ type: "site.node-recovered", site: "a", commit: "c", node: "node2", nodeId: "id-node2" }]);
      expect(notificationEvents(back, run(back, [withNode("a", null), withNode("b", null, "node3")]), rev("c"), false)).toEqual([]);
    });

    test("a drained node that then goes down is a new degradation; a daemon that starts while the node is down says so once", () => {
      const drained = run(none, [withNode("a", "drained")]);
      expect(notificationEvents(none, drained, rev("c"), false).map((e) => e.type)).toEqual(["site.degraded"]);
      const down = run(drained, [withNode("a", "down")]);
      expect(notificationEvents(drained, down, rev("c"), false)).toMatchObject([{ type: "site.degraded", reason: "down", message: "node node2 unavailable (down)" }]);
    });

    test("a site whose records carry the node keep it (/status names it)", () => {
      expect(run(none, [withNode("a", "down")]).get("a")?.node).toEqual({ id: "id-node2", hostname: "node2", unavailable: "down" });
      expect(run(none, [status("x", "converged")]).get("x")).not.toHaveProperty("node");
    });
  });

  test("a site that stays healthy is no news, and nothing is said about a commit that was not applied", () => {
    const same = records([["a", "converged", null]]);
    expect(notificationEvents(same, same, rev("c"), false)).toEqual([]);
  });
});

test("stateCounts groups sites by state", () => {
  const r = nextRecords(none, { revision: rev("c"), statuses: [status("a", "converged"), status("b", "converged"), status("c", "progressing")], outcomes: [], invalid: new Map(), at });
  expect(stateCounts(r)).toEqual({ converged: 2, progressing: 1 });
});

test("/status turns a converged site degraded while Varnish reports all its backends sick, and back", () => {
  const r = nextRecords(none, { revision: rev("c"), statuses: [status("a", "converged"), status("b", "converged"), status("c", "progressing")], outcomes: [], invalid: new Map(), at });
  const sick = (name: string) => ({ vcl: "v", name, type: "backend", adminHealth: "probe", health: "sick" as const });
  const healthy = (name: string) => ({ vcl: "v", name, type: "backend", adminHealth: "probe", health: "healthy" as const });
  const routing = siteRoutingHealth([{ task: "t", backends: [sick("b_a_0"), healthy("b_b_0"), sick("b_c_0")] }]);
  const shown = recordsWithRouting(r, routing);
  expect(shown.map((x) => [x.site, x.state, x.lastError])).toEqual([
    ["a", "degraded", "varnish reports every backend sick"],
    ["b", "converged", null],
    ["c", "progressing", null],
  ]);
  expect(shown[0]?.routing).toEqual({ healthy: 0, sick: 1, tasks: 1, sickTasks: 1 });
  expect(stateCounts(shown)).toEqual({ degraded: 1, converged: 1, progressing: 1 });
  // The record itself stays Swarm's view: the next read of Varnish decides again.
  expect(r.get("a")?.state).toBe("converged");
  expect(recordsWithRouting(r, siteRoutingHealth([{ task: "t", backends: [healthy("b_a_0")] }]))[0]?.state).toBe("converged");
  expect(recordsWithRouting(r, undefined).map((x) => x.state)).toEqual(["converged", "converged", "progressing"]);
});

test("invalidBySite joins a site's errors and skips simulium.yaml's", () => {
  const e = (file: string, message: string, site?: string): ManifestError => ({ file, line: 1, column: 1, path: "", message, ...(site ? { site } : {}) });
  const out = invalidBySite([e("sites/a.yaml", "one", "a"), e("sites/a.yaml", "two", "a"), e("simulium.yaml", "cluster")], (x) => x.message);
  expect([...out]).toEqual([["a", "one; two"]]);
});

test("tallyActions counts mutations by kind and op, and drift corrections", () => {
  const base = { site: "a", changes: [] };
  const actions = [
    { ...base, op: "create", kind: "volume", name: "a_files", spec: {} },
    { ...base, op: "update", kind: "service", name: "a_web", id: "1", version: 1, drift: true, spec: {} },
    { ...base, op: "update", kind: "service", name: "b_web", id: "2", version: 1, drift: false, spec: {} },
    { ...base, op: "retain", kind: "volume", name: "old", id: "3", reason: "no-longer-declared" },
  ] as unknown as Action[];
  const t = tallyActions(actions);
  expect([...t.byKindOp.values()]).toEqual([
    { kind: "volume", op: "create", count: 1 },
    { kind: "service", op: "update", count: 2 },
  ]);
  expect(t.driftCorrections).toBe(1);
});

describe("mergeRecords", () => {
  const rec = (site: string, state: SiteRecord["state"], commit: string): SiteRecord => ({ site, state, appliedCommit: commit, tasks: { running: 1, desired: 1 }, lastError: null, lastReconcileAt: "2026-01-01T00:00:00.000Z" });
  const map = (...rs: SiteRecord[]) => new Map(rs.map((r) => [r.site, r]));

  it("a concurrent run writes only the sites it changed", () => {
    const prev = map(rec("a", "pending", "c1"), rec("b", "converged", "c1"));
    const next = map(rec("a", "converged", "c0"), rec("b", "converged", "c2"), rec("new", "converged", "c2"));
    const out = mergeRecords(prev, next, new Map(), 2, new Set(["b", "new"]));
    expect([...out.records.values()].map((r) => `${r.site} ${r.state} ${r.appliedCommit}`).sort()).toEqual(["a pending c1", "b converged c2", "new converged c2"]);
    expect(out.writers).toEqual(new Map([["b", 2], ["new", 2]]));
  });

  it("an earlier run finishing later keeps the newer run's sites, even one its older view does not know", () => {
    const prev = map(rec("a", "pending", "c1"), rec("b", "converged", "c2"), rec("new", "converged", "c2"));
    const next = map(rec("a", "converged", "c1"), rec("b", "drifted", "c2"), rec("gone", "converged", "c1"));
    const out = mergeRecords(prev, next, new Map([["b", 2], ["new", 2]]), 1);
    expect([...out.records.values()].map((r) => `${r.site} ${r.state} ${r.appliedCommit}`).sort()).toEqual(["a converged c1", "b converged c2", "gone converged c1", "new converged c2"]);
    // The follow-up (run 3) writes every site again, and drops what is gone from its view.
    const after = mergeRecords(out.records, map(rec("a", "converged", "c2"), rec("b", "converged", "c2")), out.writers, 3);
    expect([...after.records.keys()].sort()).toEqual(["a", "b"]);
    expect(after.writers).toEqual(new Map([["a", 3], ["b", 3]]));
  });
});
