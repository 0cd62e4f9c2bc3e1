import type { Pass, PassPhases } from "./contenders";
import { growthRows, growthTable } from "./growth";
import type { ClusterResult } from "./cluster";
import type { PlanScaleResult } from "./plan-scale-types";
import type { ConcurrentServeResult } from "./concurrent-types";
import type { RestScaleResult } from "./rest-scale-types";
import type { RoutingScaleResult } from "./routing-scale-types";
import type { DaemonRss, ServePass, ServeRun } from "./serve-types";
import type { TlsIssueResult } from "./tls-issue-types";

export interface ContenderResult {
  readonly initial: Pass;
  readonly noop: Pass | null;
  /** Figure 3; null when the initial converge failed. */
  readonly serve: ServePass | null;
  /** The floor measured right before figure 3, under the load of that moment. */
  readonly floorAtServeSeconds: number | null;
  /**
   * Swarm's own time for the change figure 3 makes, measured right before it: a start-first
   * update of a service with the sites' health-check interval, until the new task runs
   * (bench/swarm.ts updateFloorSeconds). Absent in results before it was measured.
   */
  readonly updateFloorAtServeSeconds?: number | null;
  /** Figure 5, simulium only. */
  readonly rss: DaemonRss | null;
}

export interface SizeResult {
  readonly sites: number;
  readonly simulium: ContenderResult;
  readonly stackDeploy: ContenderResult;
  /** os.loadavg() when this size finished: the engine is shared with other work. */
  readonly loadAverage: readonly number[];
}

/** Figure 1b: the initial converge beside the engine's floor (bench/floor.ts), one size. */
export interface FloorRow {
  readonly sites: number;
  /** Engine calls at once, the floor's and simulium's. */
  readonly concurrency: number;
  readonly floor: Pass;
  readonly simulium: Pass | null;
  /** simulium with one call at a time (the apply before #20's item 3), when measured. */
  readonly simuliumSerial: Pass | null;
  readonly stackDeploy: Pass | null;
  /** os.loadavg() before and after this size: the engine is shared with other work. */
  readonly loadAverage: { readonly before: readonly number[]; readonly after: readonly number[] };
}

export interface BenchResults {
  readonly commit: string;
  readonly dirtyTree: boolean;
  readonly date: string;
  readonly cores: number;
  readonly memoryMb: number;
  readonly engine: string;
  readonly cli: string;
  readonly sizes: readonly number[];
  readonly planSizes: readonly number[];
  readonly floorSeconds: number | null;
  readonly converge: readonly SizeResult[];
  readonly planning: readonly PlanScaleResult[];
  /** Figure 6 (absent in results older than #20). */
  readonly routing?: readonly RoutingScaleResult[];
  /** Figure 1b (absent in results older than #20's item 3). */
  readonly floorConverge?: readonly FloorRow[];
  /** Figure 5b, the daemon's memory at rest without an engine (absent in older results). */
  readonly rest?: readonly RestScaleResult[];
  /** Figure 8, the 3-node test cluster (absent in older results). */
  readonly cluster?: ClusterResult;
  /** Figure 9, a new domain's commit until a valid certificate is served (absent in older results). */
  readonly tls?: TlsIssueResult;
  /** Figure 3b, repeated changes at one size with the floors before each (BENCH_ONLY=serve; absent in older results). */
  readonly serveRuns?: readonly ServeRun[];
  /** Figure 10, one site's change while another rolls out (absent in older results). */
  readonly concurrent?: ConcurrentServeResult;
  readonly loadAverage: { readonly start: readonly number[]; readonly end: readonly number[] };
  readonly wallSeconds: number;
  readonly notes: readonly string[];
}

const pad = (rows: string[][]): string => {
  const widths = rows[0]?.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? "").length))) ?? [];
  return rows.map((r) => r.map((c, i) => c.padEnd(widths[i] ?? 0)).join("  ").trimEnd()).join("\n");
};

/** Sub-second passes (a no-op) in milliseconds: one decimal of a second would print 0.0 s. */
const duration = (seconds: number): string => (seconds < 1 ? `${Math.round(seconds * 1000)} ms` : `${seconds.toFixed(1)} s`);
const secs = (p: Pass | null): string => (p === null ? "skipped" : `${duration(p.seconds)}${p.ok ? "" : ` (FAILED: ${p.tasksRunning}/${p.tasksWanted} tasks)`}`);
/** How many times faster simulium's pass was; only when both passes succeeded. */
export const ratio = (simulium: Pass | null, baseline: Pass | null): string =>
  simulium?.ok && baseline?.ok && simulium.seconds > 0 ? `${(baseline.seconds / simulium.seconds).toFixed(0)}×` : "-";
const calls = (p: Pass | null): string => (p === null ? "-" : `${p.apiCalls} (${p.mutatingCalls} writes)`);

/** The printed table: the same figures as the JSON, for people. */
export function renderTable(r: BenchResults): string {
  const out: string[] = [];
  out.push(`simulium bench — commit ${r.commit.slice(0, 12)}${r.dirtyTree ? " (dirty tree)" : ""}, ${r.date}, ${r.cores} cores, ${r.memoryMb} MB, engine ${r.engine}, CLI ${r.cli}`);
  out.push("");
  out.push(`Floor: one busybox service, create → running: ${r.floorSeconds === null ? "failed" : `${r.floorSeconds.toFixed(1)} s`}`);
  out.push("");
  out.push("1. Initial converge (web + MariaDB per site, until every task runs)");
  out.push(pad([["sites", "simulium", "stack deploy loop", "simulium calls", "stack deploy calls"], ...r.converge.map((c) => [String(c.sites), secs(c.simulium.initial), secs(c.stackDeploy.initial), calls(c.simulium.initial), calls(c.stackDeploy.initial)])]));
  out.push("");
  if (r.floorConverge !== undefined && r.floorConverge.length > 0) {
    out.push(`1b. Initial converge against the engine's floor (a bare script making the same objects, ${r.floorConverge[0]?.concurrency ?? "?"} calls at once, until every task runs; target at 100 sites: simulium ≤ 1.15× the floor)`);
    out.push(pad([["sites", "floor", "simulium", "simulium / floor", "simulium, one call at a time", "stack deploy loop", "load before", "load after"], ...r.floorConverge.map(floorRow)]));
    out.push("  where the time went (before the first write + writing, mean engine time per write + after the last write, waiting for the tasks):");
    for (const x of r.floorConverge) {
      const parts: [string, Pass | null][] = [["floor", x.floor], ["simulium", x.simulium], ["one at a time", x.simuliumSerial], ["stack deploy loop", x.stackDeploy]];
      out.push(`  ${x.sites} sites: ${parts.flatMap(([name, p]) => (p?.phases ? [`${name} ${phaseText(p.phases)}`] : [])).join("; ")}`);
    }
    out.push("");
  }
  out.push("2. No-op re-run (target at 100 sites: at least 20× faster, constant simulium calls)");
  out.push(pad([["sites", "simulium", "stack deploy loop", "faster", "simulium calls", "stack deploy calls"], ...r.converge.map((c) => [String(c.sites), secs(c.simulium.noop), secs(c.stackDeploy.noop), ratio(c.simulium.noop, c.stackDeploy.noop), calls(c.simulium.noop), calls(c.stackDeploy.noop)])]));
  for (const c of r.converge) out.push(`  stack deploy no-op writes at ${c.sites} sites: ${writes(c.stackDeploy.noop)}`);
  out.push("");
  out.push("Baseline equivalence (simulium's planner against what the stacks deployed; stack bookkeeping labels are expected):");
  for (const c of r.converge) out.push(`  ${c.sites} sites: ${differenceSummary(c.stackDeploy.initial)}`);
  out.push("");
  const floor = r.floorSeconds === null ? "?" : r.floorSeconds.toFixed(1);
  out.push(`3. One changed site out of N, until it serves the change (floor ${floor} s at the start, and again right before each change, with Swarm's own time for a health-checked start-first update; target: simulium ≤ that update floor + 0.5 s)`);
  out.push(
    pad([
      ["sites", "simulium: commit → Varnish", "floor then", "update floor then", "stack deploy loop: → served", "floor then", "update floor then", "loop done", "site's place in loop"],
      ...r.converge.map((c) => [String(c.sites), served(c.simulium.serve), floorThen(c.simulium), updateFloorThen(c.simulium), served(c.stackDeploy.serve), floorThen(c.stackDeploy), updateFloorThen(c.stackDeploy), loopDone(c.stackDeploy.serve), place(c)]),
    ]),
  );
  for (const c of r.converge) for (const p of [c.simulium.serve, c.stackDeploy.serve]) if (p?.error) out.push(`  ${c.sites} sites: ${p.via}: ${p.error}`);
  out.push("");
  if (r.serveRuns !== undefined && r.serveRuns.length > 0) out.push(...serveRunRows(r.serveRuns), "");
  out.push("4. Planning without an engine, a fresh process per size (read files + load + render + synthetic live + diff, ~1% of sites changed; target at 10,000: cold plan ≤ 1.5 s, peak RSS ≤ 400 MB)");
  const ms = (n: number): string => `${n.toFixed(0)} ms`;
  out.push(
    pad([
      ["sites", "startup", "read", "load", "render", "live", "diff", "cold plan", "its CPU time", "again (warm)", "updates", "peak RSS", "peak heap", "every run: cold plan (peak RSS)"],
      ...r.planning.map((p) => [String(p.sites), ms(p.startupMs), ms(p.readMs), ms(p.loadMs), ms(p.renderMs), ms(p.liveMs), ms(p.diffMs), ms(p.coldPlanMs), ms(p.cpuMs.coldPlan), ms(p.warmRenderMs + p.warmDiffMs), String(p.actions), `${p.peakRssMb.toFixed(0)} MB`, `${p.peakHeapUsedMb.toFixed(0)} MB`, spread(p)]),
    ]),
  );
  out.push("");
  if (r.routing !== undefined && r.routing.length > 0) {
    out.push("6. One site's task move until Varnish serves it, N sites (real varnishd on loopback, -O0; target ≤ 0.3 s at 1,000 sites)");
    out.push(pad([["sites", "one VCL: move live", "group VCLs: move live", "group VCLs compiled", "add a site", "one VCL: first load", "group VCLs: first load", "varnishd RSS: one VCL", "group VCLs"], ...r.routing.map(routingRow)]));
    out.push("");
  }
  out.push("5. Daemon (simulium run, child process) memory with N sites (web + MariaDB each), idle resyncs every few seconds");
  out.push(pad([["sites", "ready after", "idle resyncs", "RSS at rest", "RSS idle max", "peak RSS (VmHWM)"], ...r.converge.map((c) => rssRow(c.sites, c.simulium.rss))]));
  for (const c of r.converge) if (c.simulium.rss?.error) out.push(`  ${c.sites} sites: ${c.simulium.rss.error}`);
  out.push("");
  if (r.rest !== undefined && r.rest.length > 0) {
    out.push("5b. What the daemon holds at rest without an engine (its modules, two synthetic passes over N sites kept, after a full GC)");
    out.push(pad([["sites", "modules alone", "at rest", "heap used", "peak RSS"], ...r.rest.map((x) => [String(x.sites), mb(x.modulesRssMb), mb(x.atRestRssMb), mb(x.heapUsedMb), mb(x.peakRssMb)])]));
    out.push("");
  }
  if (r.cluster !== undefined) out.push(...clusterSection(r.cluster), "");
  if (r.tls !== undefined) {
    out.push(...tlsRows(r.tls));
    out.push("");
  }
  if (r.concurrent !== undefined) {
    const c = r.concurrent;
    const list = (xs: readonly number[]): string => (xs.length === 0 ? "none" : xs.map((x) => `${x.toFixed(2)} s`).join(", "));
    out.push(`10. Commit→serving of site B through Varnish, idle and while site A rolls out (${c.sites} sites, update monitor ${c.monitorSeconds} s)`);
    out.push(pad([["", "B idle", "B during A's rollout"], ["push → served", list(c.idleSeconds), list(c.duringSeconds)], ["push → B's update started", list(c.idleUpdateSeconds ?? []), list(c.duringUpdateSeconds ?? [])]]));
    out.push(`  A still rolling when B served: ${c.aStillRolling.map(String).join(", ")}; A's own push → served: ${list(c.aSeconds)}`);
    if (c.error) out.push(`  FAILED: ${c.error}`);
    out.push(`  load average at the end: ${loads(c.loadAverage)}`);
    out.push("");
  }
  out.push("7. Growth: each figure against the number of sites (chart: bench/results/growth.svg)");
  out.push(pad(growthTable(growthRows(r))));
  out.push("");
  out.push(`load average (1, 5, 15 min): start ${loads(r.loadAverage.start)}, end ${loads(r.loadAverage.end)}; ${r.converge.map((c) => `after ${c.sites} sites ${loads(c.loadAverage)}`).join("; ")}`);
  out.push(`wall time: ${(r.wallSeconds / 60).toFixed(1)} min`);
  for (const n of r.notes) out.push(`note: ${n}`);
  return out.join("\n");
}

/** Distinct differences, with the object names left out: the same few fields on every site. */
function differenceSummary(p: Pass): string {
  const found = p.differences ?? [];
  if (found.length === 0) return "none";
  const kinds = new Map<string, number>();
  for (const d of found) {
    const key = d.replace(/^(\S+ \S+) \S+:/, "$1:");
    kinds.set(key, (kinds.get(key) ?? 0) + 1);
  }
  return [...kinds.entries()].map(([k, n]) => `${n}× ${k}`).join("; ");
}

const writes = (p: Pass | null): string =>
  p === null ? "-" : Object.entries(p.writes).map(([k, n]) => `${n}× ${k}`).join(", ") || "none";

const loads = (l: readonly number[]): string => l.map((x) => x.toFixed(1)).join(" ");
const mb = (x: number | null): string => (x === null ? "-" : `${x.toFixed(0)} MB`);

const served = (p: ServePass | null): string => (p === null ? "skipped" : p.ok ? `${p.seconds.toFixed(2)} s` : "FAILED");
const floorThen = (c: ContenderResult): string => (c.floorAtServeSeconds === null ? "-" : `${c.floorAtServeSeconds.toFixed(1)} s`);
/** Figure 4: each fresh process's cold plan and peak RSS, fastest first, when a size ran more than once. */
const spread = (p: PlanScaleResult): string => (p.runs === undefined ? "-" : p.runs.map((x) => `${Math.round(x.coldPlanMs)} ms (${x.peakRssMb.toFixed(0)} MB)`).join(", "));
const updateFloorThen = (c: ContenderResult): string => (c.updateFloorAtServeSeconds == null ? "-" : `${c.updateFloorAtServeSeconds.toFixed(1)} s`);
const loopDone = (p: ServePass | null): string => (p?.loopSeconds === undefined ? "-" : `${p.loopSeconds.toFixed(1)} s`);
const place = (c: SizeResult): string => (c.stackDeploy.serve?.loopPosition === undefined ? "-" : `${c.stackDeploy.serve.loopPosition} of ${c.sites}`);

/** Figure 9: each sample, then the median, minimum and maximum of those that succeeded. */
export function tlsRows(t: TlsIssueResult): string[] {
  const s = (n: number | null): string => (n === null ? "-" : `${n.toFixed(1)} s`);
  const failed = t.samples.filter((x) => !x.ok).length;
  return [
    "9. HTTPS: a domain added to a site, commit → a certificate for it that verifies against the CA's root, served by hitch (daemon, webhook; Pebble on loopback)",
    pad([
      ["domain", "names in certificate", "commit → valid certificate served", "→ VCL loaded", "→ order sent", "→ issued", "→ delivery job seen done"],
      ...t.samples.map((x) => [x.domain, String(x.names), x.ok ? s(x.seconds) : `FAILED: ${x.error ?? "?"}`, ...(["vcl", "ordering", "issued", "delivered"] as const).map((p) => s(x.phases?.[p] ?? null))]),
    ]),
    `  median ${s(t.medianSeconds)}, min ${s(t.minSeconds)}, max ${s(t.maxSeconds)} over ${t.samples.length - failed} of ${t.samples.length} samples; load average (1, 5, 15 min) ${loads(t.loadAverage.start)} at the start, ${loads(t.loadAverage.end)} at the end`,
  ];
}

export function phaseText(p: PassPhases): string {
  const s = (n: number): string => `${n.toFixed(1)} s`;
  return `${s(p.beforeFirstWriteSeconds)} + ${s(p.writingSeconds)} (${p.meanWriteMs.toFixed(0)} ms a write) + ${s(p.afterLastWriteSeconds)}`;
}

function floorRow(x: FloorRow): string[] {
  const over = x.simulium?.ok && x.floor.ok && x.floor.seconds > 0 ? `${(x.simulium.seconds / x.floor.seconds).toFixed(2)}×` : "-";
  return [String(x.sites), secs(x.floor), secs(x.simulium), over, secs(x.simuliumSerial), secs(x.stackDeploy), loads(x.loadAverage.before), loads(x.loadAverage.after)];
}

function routingRow(x: RoutingScaleResult): string[] {
  const sec = (n: number): string => (n < 1 ? `${Math.round(n * 1000)} ms` : `${n.toFixed(1)} s`);
  return [String(x.sites), sec(x.whole.liveSeconds), sec(x.split.liveSeconds), String(x.split.compiledOnMove), sec(x.split.addSiteSeconds), sec(x.whole.initialSeconds), sec(x.split.initialSeconds), mb(x.whole.varnishRssMb), mb(x.split.varnishRssMb)];
}

function rssRow(sites: number, r: DaemonRss | null): string[] {
  if (r === null) return [String(sites), "skipped", "-", "-", "-", "-"];
  if (!r.ok) return [String(sites), "FAILED", String(r.idleResyncs), mb(r.rssAtRestMb), mb(r.rssIdleMaxMb), mb(r.peakRssMb)];
  return [String(sites), `${r.readySeconds.toFixed(1)} s`, `${r.idleResyncs} × ${r.resyncSeconds} s`, mb(r.rssAtRestMb), mb(r.rssIdleMaxMb), mb(r.peakRssMb)];
}

const median = (xs: readonly number[]): number | null => {
  if (xs.length === 0) return null;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] ?? null;
};
const sec2 = (x: number | null): string => (x === null ? "-" : `${x.toFixed(2)} s`);

/** Figure 8: the same sites on the 3-node test cluster (three engines sharing this machine's cores). */
export function clusterSection(c: ClusterResult): string[] {
  const out: string[] = [];
  out.push(`8. ${c.nodes} nodes (harness/cluster.sh: ${c.nodes} dockerd in network namespaces sharing this machine's cores), ${c.sites} sites, images pulled from the cluster's registry with credentials (floor ${c.floorSeconds === null ? "?" : `${c.floorSeconds.toFixed(1)} s`})`);
  const perHost = (p: ServePass | null): string => (p?.perHost ? Object.values(p.perHost).map((x) => x.toFixed(2)).join(" / ") : "-");
  out.push(
    pad([
      ["", "initial converge", "calls", "one changed site → served", "per node"],
      ...(c.floorConverge ? [["engines' floor (bare script)", secs(c.floorConverge), calls(c.floorConverge), "-", "-"]] : []),
      ["simulium", secs(c.simulium.initial), calls(c.simulium.initial), served(c.simulium.serve), perHost(c.simulium.serve)],
      ["stack deploy loop", secs(c.stackDeploy.initial), calls(c.stackDeploy.initial), served(c.stackDeploy.serve), c.stackDeploy.serve?.loopSeconds === undefined ? "-" : `loop done ${c.stackDeploy.serve.loopSeconds.toFixed(1)} s`],
    ]),
  );
  for (const p of [c.simulium.serve, c.stackDeploy.serve]) if (p?.error) out.push(`  ${p.via}: ${p.error}`);
  const push = c.routingPush;
  if (push) {
    out.push(`  routing change (a new domain) → active on all ${push.varnishTasks} Varnish tasks (${push.relayed} through the relay): by exec median ${sec2(median(push.execSeconds))} (${push.execSeconds.map((x) => x.toFixed(2)).join(", ")}), by relay job median ${sec2(median(push.jobSeconds))} (${push.jobSeconds.map((x) => x.toFixed(2)).join(", ")}); new domain served on every node: ${push.servedEverywhere ? "yes" : "NO"}${push.error ? `; ${push.error}` : ""}`);
  }
  out.push(`  load average (1, 5, 15 min): start ${loads(c.loadAverage.start)}, end ${loads(c.loadAverage.end)}; wall time ${(c.wallSeconds / 60).toFixed(1)} min, ${c.date}`);
  return out;
}

/** Figure 3b: each change with the floors measured right before it, and its margin over the update floor. */
export function serveRunRows(runs: readonly ServeRun[]): string[] {
  const s = (n: number | null): string => (n === null ? "-" : `${n.toFixed(2)} s`);
  const out = ["3b. One changed site, commit → served through Varnish, repeated (a different site each time; target: ≤ the update floor + 0.5 s)"];
  const rows: string[][] = [["sites", "site", "commit → served", "floor", "update floor", "over the update floor", "load average"]];
  for (const run of runs) {
    if (run.error !== undefined) rows.push([String(run.sites), "-", `FAILED: ${run.error}`, "-", "-", "-", "-"]);
    for (const x of run.samples) {
      const over = x.serve.ok && x.updateFloorSeconds !== null ? s(x.serve.seconds - x.updateFloorSeconds) : "-";
      rows.push([String(run.sites), x.site, x.serve.ok ? s(x.serve.seconds) : `FAILED: ${x.serve.error ?? "?"}`, s(x.floorSeconds), s(x.updateFloorSeconds), over, loads(x.loadAverage)]);
    }
  }
  out.push(pad(rows));
  return out;
}
