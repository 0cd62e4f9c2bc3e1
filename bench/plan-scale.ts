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
import type { ApiNetwork, ApiSecret, ApiService, ApiTask, ApiVolume } from "../controller/engine/api-types";
import { liveFromApi } from "../controller/live/read";
import { loadFiles } from "../controller/manifests/load";
import { readRepo } from "../controller/manifests/read";
import { makePlan } from "../controller/plan/plan";
import { isMutation } from "../controller/plan/types";
import type { PlanScaleResult } from "./plan-scale-types";
import { ApiBodies, apiFromDesired, onePercent, syntheticRepo } from "./synthetic";


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
  // Wall and CPU time of one phase; what runs between phases (the synthetic swarm's making) is on neither clock.
  const phase = <T>(run: () => T): { value: T; ms: number; cpu: number } => {
    const t = process.hrtime.bigint();
    const c = process.cpuUsage();
    const value = run();
    const cpu = cpuMs(process.cpuUsage(c));
    const ms = Number(process.hrtime.bigint() - t) / 1e6;
    sample();
    return { value, ms, cpu };
  };

  const t = process.hrtime.bigint();
  const c = process.cpuUsage();
  const read = await readRepo(dir);
  const readMs = Number(process.hrtime.bigint() - t) / 1e6;
  const readCpu = cpuMs(process.cpuUsage(c));
  if (read.errors.length > 0 || read.files.length !== count + 1) throw new Error(`the synthetic repository reads back wrong: ${read.errors.map((e) => e.message).join("; ")}`);
  const files = read.files;

  const load = phase(() => loadFiles(files));
  const loaded = load.value;
  if (!loaded.cluster || loaded.errors.length > 0) throw new Error(`synthetic repository does not load: ${loaded.errors.map((e) => e.message).join("; ")}`);
  const cluster = loaded.cluster;

  const render = phase(() => renderDesired({ sites: loaded.sites, cluster, invalidSites: loaded.invalidSites }));
  const desired = render.value;

  // The swarm as the engine would answer, made outside the clocks (see apiFromDesired).
  const changed = onePercent(desired.sites);
  let bodies: ApiBodies | undefined = apiFromDesired(desired, changed);

  // Reading the swarm: the engine's bodies parsed (as dockerode does) and normalised (live/read.ts).
  // Each body is dropped once parsed, as the client's response buffer is.
  const live = phase(() => {
    const b = bodies as ApiBodies;
    bodies = undefined;
    const lists = {
      networks: JSON.parse(b.networks) as ApiNetwork[],
      volumes: (JSON.parse(b.volumes) as { Volumes: ApiVolume[] }).Volumes,
      secrets: JSON.parse(b.secrets) as ApiSecret[],
      services: JSON.parse(b.services) as ApiService[],
      tasks: JSON.parse(b.tasks) as ApiTask[],
    };
    return liveFromApi(cluster.instance, lists);
  });
  const diff = phase(() => makePlan(desired, live.value, loaded.errors));
  const plan = diff.value;

  const again = phase(() => renderDesired({ sites: loaded.sites, cluster, invalidSites: loaded.invalidSites }));
  const replan = phase(() => makePlan(again.value, live.value, loaded.errors));

  const actions = plan.actions.filter(isMutation).length;
  if (replan.value.actions.filter(isMutation).length !== actions) throw new Error("the second plan over the same input differs from the first");
  // A plan that does not update exactly the changed sites' web services measured the wrong thing.
  if (actions !== changed.size) throw new Error(`expected ${changed.size} updates, the plan has ${actions} mutations`);
  return {
    sites: count,
    changedSites: changed.size,
    startupMs,
    readMs,
    loadMs: load.ms,
    renderMs: render.ms,
    liveMs: live.ms,
    diffMs: diff.ms,
    warmRenderMs: again.ms,
    warmDiffMs: replan.ms,
    actions,
    coldPlanMs: startupMs + readMs + load.ms + render.ms + live.ms + diff.ms,
    cpuMs: {
      startup: startupCpuMs,
      read: readCpu,
      load: load.cpu,
      render: render.cpu,
      live: live.cpu,
      diff: diff.cpu,
      liveAndDiff: live.cpu + diff.cpu,
      coldPlan: startupCpuMs + readCpu + load.cpu + render.cpu + live.cpu + diff.cpu,
    },
    peakRssMb: process.resourceUsage().maxRSS / 1024,
    peakHeapUsedMb: peakHeap / 2 ** 20,
  };
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exitCode = 1;
});
