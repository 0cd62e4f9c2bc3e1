import { createMetrics } from "../../../controller/daemon/metrics";
import type { HealthSnapshot } from "../../../controller/daemon/state";

const T0 = Date.parse("2024-06-01T12:00:00Z");

function setup(health: HealthSnapshot, now = T0) {
  return createMetrics({ health: () => health, staleAfterSeconds: 180, now: () => now, processMetrics: false });
}

async function value(m: ReturnType<typeof createMetrics>, name: string, labels: Record<string, string> = {}): Promise<number | undefined> {
  const metric = await m.registry.getSingleMetric(name)?.get();
  const v = metric?.values.find((x) => Object.entries(labels).every(([k, l]) => x.labels[k] === l));
  return v?.value;
}

describe("daemon metrics", () => {
  it("counts runs, failures and observes durations by result", async () => {
    const m = setup({});
    m.recordReconcile({ durationSeconds: 2, ok: true });
    m.recordReconcile({ durationSeconds: 40, ok: false });
    expect(await value(m, "simulium_reconcile_runs_total")).toBe(2);
    expect(await value(m, "simulium_reconcile_failures_total")).toBe(1);
    const text = await m.registry.metrics();
    expect(text).toContain('simulium_reconcile_duration_seconds_count{result="success"} 1');
    expect(text).toContain('simulium_reconcile_duration_seconds_sum{result="failure"} 40');
  });

  it("replaces the site state distribution", async () => {
    const m = setup({});
    m.setSiteStates({ ready: 3, failed: 1 });
    m.setSiteStates({ ready: 4 });
    expect(await value(m, "simulium_sites", { state: "ready" })).toBe(4);
    expect(await value(m, "simulium_sites", { state: "failed" })).toBeUndefined();
  });

  it("names the node a site's data is pinned to: 1 while it is unavailable, 0 once back; a site no longer pinned drops out", async () => {
    const m = setup({});
    m.setPinnedNodes([
      { site: "a", node: "node2", unavailable: true },
      { site: "b", node: "node3", unavailable: false },
    ]);
    expect(await value(m, "simulium_site_node_unavailable", { site: "a", node: "node2" })).toBe(1);
    expect(await value(m, "simulium_site_node_unavailable", { site: "b", node: "node3" })).toBe(0);
    m.setPinnedNodes([{ site: "a", node: "node2", unavailable: false }]);
    expect(await value(m, "simulium_site_node_unavailable", { site: "a", node: "node2" })).toBe(0);
    expect(await value(m, "simulium_site_node_unavailable", { site: "b" })).toBeUndefined();
    expect(await m.registry.metrics()).toContain('simulium_site_node_unavailable{site="a",node="node2"} 0');
  });

  it("counts actions by kind and op, and drift corrections", async () => {
    const m = setup({});
    m.recordAction("service", "update");
    m.recordAction("service", "update", 2);
    m.recordAction("secret", "create", 0);
    m.recordDriftCorrections(2);
    m.recordDriftCorrections(0);
    expect(await value(m, "simulium_actions_applied_total", { kind: "service", op: "update" })).toBe(3);
    expect(await value(m, "simulium_actions_applied_total", { kind: "secret", op: "create" })).toBeUndefined();
    expect(await value(m, "simulium_drift_corrections_total")).toBe(2);
  });

  it("derives sync timestamp, commit age and staleness at scrape time", async () => {
    const fresh = setup({ lastSyncOkAt: T0 - 10_000, commitDate: "2024-06-01T11:00:00Z" });
    expect(await value(fresh, "simulium_last_successful_sync_timestamp_seconds")).toBe((T0 - 10_000) / 1000);
    expect(await value(fresh, "simulium_commit_age_seconds")).toBe(3600);
    expect(await value(fresh, "simulium_sync_stale")).toBe(0);

    const stale = setup({ lastSyncOkAt: T0 - 181_000 });
    expect(await value(stale, "simulium_sync_stale")).toBe(1);

    const never = setup({});
    expect(await value(never, "simulium_sync_stale")).toBe(1);
    expect(await value(never, "simulium_commit_age_seconds")).toBeNaN();
    expect(await value(never, "simulium_last_successful_sync_timestamp_seconds")).toBe(0);
    // prom-client spells it "Nan", which Prometheus parses (case-insensitively) as NaN.
    expect(await never.registry.metrics()).toContain("simulium_commit_age_seconds Nan");
  });

  it("uses its own registry, so two instances do not collide", async () => {
    const a = setup({});
    const b = setup({});
    a.recordReconcile({ durationSeconds: 1, ok: true });
    expect(await value(b, "simulium_reconcile_runs_total")).toBe(0);
  });
});
