/**
 * Figure 4, one size per process (so one size's heap never inflates the next one's peak):
 * load (parse + validate) + render + diff of N synthetic sites against a synthetic live state
 * with ~1% of the sites changed. Prints one JSON line.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { performance } from "node:perf_hooks";
// The CLI's whole module graph, as `simulium plan` loads it: startup is that process's.
import "../controller/cli/main";
import { connectDocker } from "../controller/engine/docker";
import { renderDesired } from "../controller/desired/render";
import { loadFiles } from "../controller/manifests/load";
import { readRepo } from "../controller/manifests/read";
import { makePlan } from "../controller/plan/plan";
import { isMutation } from "../controller/plan/types";
import type { PlanScaleResult } from "./plan-scale-types";
import { liveFromDesired, onePercent, syntheticRepo } from "./synthetic";


// `simulium plan` makes its engine client before it reads the swarm: dockerode loads then.
connectDocker();

/** Process start (node's own startup, this module's imports, the engine client) until main runs. */
const startupMs = performance.now();
const startupCpuMs = cpuMs(process.cpuUsage());

function cpuMs(u: NodeJS.CpuUsage): number {
  return (u.user + u.system) / 1000;
}

async function main(): Promise<void> {
  const count = Number(process.argv[2]);
  if (!Number.isInteger(count) || count <= 0) throw new Error(`usage: plan-scale <sites>, got ${process.argv[2] ?? "nothing"}`);
  // The repository on disk, written before the clock starts: `simulium plan` reads files.
  const dir = mkdtempSync(join(tmpdir(), "simulium-plan-scale-"));
  for (const f of syntheticRepo("bench", "site", count)) {
    mkdirSync(dirname(join(dir, f.path)), { recursive: true });
    writeFileSync(join(dir, f.path), f.text);
  }
  try {
    process.stdout.write(JSON.stringify(await measure(count, dir)) + "\n");
  } finally {
    // Outside the clock: removing the files cost as much CPU as reading them, and was counted.
    rmSync(dir, { recursive: true, force: true });
  }
}

async function measure(count: number, dir: string): Promise<PlanScaleResult> {
  let peakHeap = 0;
  const sample = (): void => {
    peakHeap = Math.max(peakHeap, process.memoryUsage().heapUsed);
  };
  const ms = (start: bigint): number => Number(process.hrtime.bigint() - start) / 1e6;
  const cpu0 = process.cpuUsage();

  let t = process.hrtime.bigint();
  const read = await readRepo(dir);
  const readMs = ms(t);
  if (read.errors.length > 0 || read.files.length !== count + 1) throw new Error(`the synthetic repository reads back wrong: ${read.errors.map((e) => e.message).join("; ")}`);
  const files = read.files;
  const cpuRead = process.cpuUsage(cpu0);

  t = process.hrtime.bigint();
  const load = loadFiles(files);
  const loadMs = ms(t);
  const cpuLoad = process.cpuUsage(cpu0);
  sample();
  if (!load.cluster || load.errors.length > 0) throw new Error(`synthetic repository does not load: ${load.errors.map((e) => e.message).join("; ")}`);

  t = process.hrtime.bigint();
  const desired = renderDesired({ sites: load.sites, cluster: load.cluster, invalidSites: load.invalidSites });
  const renderMs = ms(t);
  sample();

  const cpuRender = process.cpuUsage(cpu0);

  // Stands in for reading the live swarm (synthetic: no engine in this figure).
  t = process.hrtime.bigint();
  const changed = onePercent(desired.sites);
  const live = liveFromDesired(desired, changed);
  const liveMs = ms(t);
  sample();
  t = process.hrtime.bigint();
  const plan = makePlan(desired, live, load.errors);
  const diffMs = ms(t);
  sample();
  const cpuPlan = process.cpuUsage(cpu0);

  t = process.hrtime.bigint();
  const again = renderDesired({ sites: load.sites, cluster: load.cluster, invalidSites: load.invalidSites });
  const warmRenderMs = ms(t);
  t = process.hrtime.bigint();
  const replan = makePlan(again, live, load.errors);
  const warmDiffMs = ms(t);
  sample();

  const actions = plan.actions.filter(isMutation).length;
  if (replan.actions.filter(isMutation).length !== actions) throw new Error("the second plan over the same input differs from the first");
  // A plan that does not update exactly the changed sites' web services measured the wrong thing.
  if (actions !== changed.size) throw new Error(`expected ${changed.size} updates, the plan has ${actions} mutations`);
  return {
    sites: count,
    changedSites: changed.size,
    startupMs,
    readMs,
    loadMs,
    renderMs,
    liveMs,
    diffMs,
    warmRenderMs,
    warmDiffMs,
    actions,
    coldPlanMs: startupMs + readMs + loadMs + renderMs + liveMs + diffMs,
    cpuMs: {
      startup: startupCpuMs,
      read: cpuMs(cpuRead),
      load: cpuMs(cpuLoad) - cpuMs(cpuRead),
      render: cpuMs(cpuRender) - cpuMs(cpuLoad),
      liveAndDiff: cpuMs(cpuPlan) - cpuMs(cpuRender),
      coldPlan: startupCpuMs + cpuMs(cpuPlan),
    },
    peakRssMb: process.resourceUsage().maxRSS / 1024,
    peakHeapUsedMb: peakHeap / 2 ** 20,
  };
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exitCode = 1;
});
