import type { Pass } from "./contenders";
import type { PlanScaleResult } from "./plan-scale-types";

export interface SizeResult {
  readonly sites: number;
  readonly simulium: { readonly initial: Pass; readonly noop: Pass | null };
  readonly stackDeploy: { readonly initial: Pass; readonly noop: Pass | null };
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
  readonly notMeasured: Readonly<Record<string, string>>;
  readonly notes: readonly string[];
}

const NOT_YET = "not measured yet (needs the daemon/routing)";
export const NOT_MEASURED = {
  "3-commit-to-serving": NOT_YET,
  "5-daemon-rss": NOT_YET,
} as const;

const pad = (rows: string[][]): string => {
  const widths = rows[0]?.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? "").length))) ?? [];
  return rows.map((r) => r.map((c, i) => c.padEnd(widths[i] ?? 0)).join("  ").trimEnd()).join("\n");
};

const secs = (p: Pass | null): string => (p === null ? "skipped" : `${p.seconds.toFixed(1)} s${p.ok ? "" : ` (FAILED: ${p.tasksRunning}/${p.tasksWanted} tasks)`}`);
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
  out.push("2. No-op re-run");
  out.push(pad([["sites", "simulium", "stack deploy loop", "simulium calls", "stack deploy calls"], ...r.converge.map((c) => [String(c.sites), secs(c.simulium.noop), secs(c.stackDeploy.noop), calls(c.simulium.noop), calls(c.stackDeploy.noop)])]));
  for (const c of r.converge) out.push(`  stack deploy no-op writes at ${c.sites} sites: ${writes(c.stackDeploy.noop)}`);
  out.push("");
  out.push("Baseline equivalence (simulium's planner against what the stacks deployed; stack bookkeeping labels are expected):");
  for (const c of r.converge) out.push(`  ${c.sites} sites: ${differenceSummary(c.stackDeploy.initial)}`);
  out.push("");
  out.push("3. Commit to serving through Varnish: " + NOT_YET);
  out.push("");
  out.push("4. Planning without an engine (load + render + diff, ~1% of sites changed)");
  out.push(pad([["sites", "load", "render", "diff", "updates", "peak RSS", "peak heap"], ...r.planning.map((p) => [String(p.sites), `${p.loadMs.toFixed(0)} ms`, `${p.renderMs.toFixed(0)} ms`, `${p.diffMs.toFixed(0)} ms`, String(p.actions), `${p.peakRssMb.toFixed(0)} MB`, `${p.peakHeapUsedMb.toFixed(0)} MB`])]));
  out.push("");
  out.push("5. Daemon RSS: " + NOT_YET);
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
