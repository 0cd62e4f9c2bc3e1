import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from "prom-client";
import { commitAgeSeconds, HealthSnapshot, isStale } from "./state";

/**
 * The daemon's Prometheus metrics, in a registry of its own (the global one belongs to
 * whoever imports prom-client next). Time-derived gauges are computed at scrape time from
 * the health snapshot, so they stay true between reconciles.
 */
export interface DaemonMetrics {
  readonly registry: Registry;
  recordReconcile(outcome: { readonly durationSeconds: number; readonly ok: boolean }): void;
  /** Replaces the whole distribution: a state with no site any more drops to absent, not stuck. */
  setSiteStates(counts: Readonly<Record<string, number>>): void;
  /** Replaces every pinned site's node gauge: a site no longer pinned (removed, moved) drops out. */
  setPinnedNodes(pins: readonly { readonly site: string; readonly node: string; readonly unavailable: boolean }[]): void;
  recordAction(kind: string, op: string, count?: number): void;
  recordDriftCorrections(count: number): void;
}

export interface MetricsOptions {
  readonly health: () => HealthSnapshot;
  readonly staleAfterSeconds: number;
  readonly now?: () => number;
  /** Node process metrics (memory, CPU, event loop lag) with the `simulium_` prefix. */
  readonly processMetrics?: boolean;
}

export function createMetrics(options: MetricsOptions): DaemonMetrics {
  const registry = new Registry();
  const now = options.now ?? Date.now;
  if (options.processMetrics ?? true) collectDefaultMetrics({ register: registry, prefix: "simulium_" });
  const registers = [registry];

  const duration = new Histogram({
    name: "simulium_reconcile_duration_seconds",
    help: "Duration of reconcile runs.",
    labelNames: ["result"] as const,
    buckets: [0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600],
    registers,
  });
  const runs = new Counter({ name: "simulium_reconcile_runs_total", help: "Reconcile runs started and finished.", registers });
  const failures = new Counter({ name: "simulium_reconcile_failures_total", help: "Reconcile runs that failed.", registers });
  const sites = new Gauge({ name: "simulium_sites", help: "Sites by state.", labelNames: ["state"] as const, registers });
  const nodeUnavailable = new Gauge({
    name: "simulium_site_node_unavailable",
    help: "1 while the node a site's data is pinned to cannot run its tasks (drained, down), else 0; one series per pinned site.",
    labelNames: ["site", "node"] as const,
    registers,
  });
  const actions = new Counter({
    name: "simulium_actions_applied_total",
    help: "Actions applied to the engine, by resource kind and operation.",
    labelNames: ["kind", "op"] as const,
    registers,
  });
  const drift = new Counter({ name: "simulium_drift_corrections_total", help: "Changes made outside git that were reverted.", registers });
  new Gauge({
    name: "simulium_last_successful_sync_timestamp_seconds",
    help: "Unix time of the last successful source sync (0: never).",
    registers,
    collect() {
      this.set((options.health().lastSyncOkAt ?? 0) / 1000);
    },
  });
  new Gauge({
    name: "simulium_commit_age_seconds",
    help: "Seconds since the commit in force was authored (NaN before the first sync).",
    registers,
    collect() {
      // NaN, not 0: "no commit yet" must not read as "a brand-new commit" nor satisfy an age alert.
      this.set(commitAgeSeconds(options.health(), now()) ?? NaN);
    },
  });
  new Gauge({
    name: "simulium_sync_stale",
    help: "1 when the last successful sync is older than the staleness limit (or never happened).",
    registers,
    collect() {
      this.set(isStale(options.health(), now(), options.staleAfterSeconds) ? 1 : 0);
    },
  });

  return {
    registry,
    recordReconcile({ durationSeconds, ok }) {
      runs.inc();
      if (!ok) failures.inc();
      duration.observe({ result: ok ? "success" : "failure" }, durationSeconds);
    },
    setSiteStates(counts) {
      sites.reset();
      for (const [state, n] of Object.entries(counts)) sites.set({ state }, n);
    },
    setPinnedNodes(pins) {
      nodeUnavailable.reset();
      for (const p of pins) nodeUnavailable.set({ site: p.site, node: p.node }, p.unavailable ? 1 : 0);
    },
    recordAction(kind, op, count = 1) {
      if (count > 0) actions.inc({ kind, op }, count);
    },
    recordDriftCorrections(count) {
      if (count > 0) drift.inc(count);
    },
  };
}
