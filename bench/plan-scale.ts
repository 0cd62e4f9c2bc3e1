/**
 * Figure 4, one size per process (so one size's heap never inflates the next one's peak):
 * `simulium plan`'s path (controller/reconcile/pipeline.ts planLoaded) over N synthetic sites:
 * read the files, load (parse + validate), read the swarm (synthetic, ~1% of the sites
 * changed), place and render, diff. Prints one JSON line.
 *
 * The synthetic swarm (the engine's list bodies) is made by a child process (`prepare`),
 * outside this process's clocks and memory: the engine's memory is not the plan's.
 */
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { performance } from "node:perf_hooks";
// The CLI's whole module graph, as `simulium plan` loads it: startup is that process's.
import "../controller/cli/main";
import { connectDocker } from "../controller/engine/docker";
import { renderDesired } from "../controller/desired/render";
import type { ApiNetwork, ApiSecret, ApiService, ApiTask, ApiVolume } from "../controller/engine/api-types";
import { livePins } from "../controller/live/pins";
import { liveObjectsFromApi, taskServiceIds, withTasks } from "../controller/live/read";
import type { LiveState } from "../controller/live/types";
import { loadFiles } from "../controller/manifests/load";
import { readRepo } from "../controller/manifests/read";
import { placeSites } from "../controller/plan/placement";
import { makePlan } from "../controller/plan/plan";
import { isMutation } from "../controller/plan/types";
import type { PlanScaleResult } from "./plan-scale-types";
import { apiFromDesired, onePercent, SYNTHETIC_NODE, syntheticRepo } from "./synthetic";


// `simulium plan` makes its engine client before it reads the swarm: dockerode loads then.
connectDocker();

/** Process start (node's own startup, this module's imports, the engine client) until main runs. */
const startupMs = performance.now();
const startupCpuMs = cpuMs(process.cpuUsage());

function cpuMs(u: NodeJS.CpuUsage): number {
  return (u.user + u.system) / 1000;
}

const BODIES = ["networks", "volumes", "secrets", "services", "tasks"] as const;

async function main(): Promise<void> {
  if (process.argv[2] === "prepare") return prepare(process.argv[3] ?? "", Number(process.argv[4]));
  const count = Number(process.argv[2]);
  if (!Number.isInteger(count) || count <= 0) throw new Error(`usage: plan-scale <sites>, got ${process.argv[2] ?? "nothing"}`);
  const dir = mkdtempSync(join(tmpdir(), "simulium-plan-scale-"));
  try {
    execFileSync(process.execPath, [__filename, "prepare", dir, String(count)], { stdio: "inherit" });
    process.stdout.write(JSON.stringify(await measure(count, dir)) + "\n");
  } finally {
    // Outside the clock: removing the files cost as much CPU as reading them, and was counted.
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * The repository on disk (`simulium plan` reads files) and the engine's answers once apply
 * converged it (bench/synthetic.ts apiFromDesired): every site with data pinned to the one
 * node, as placement pins it and apply records it on the services, ~1% of the sites changed.
 */
function prepare(dir: string, count: number): void {
  const files = syntheticRepo("bench", "site", count);
  for (const f of files) {
    mkdirSync(dirname(join(dir, "repo", f.path)), { recursive: true });
    writeFileSync(join(dir, "repo", f.path), f.text);
  }
  const loaded = loadFiles(files);
  if (!loaded.cluster || loaded.errors.length > 0) throw new Error(`synthetic repository does not load: ${loaded.errors.map((e) => e.message).join("; ")}`);
  const placement = placeSites({ sites: loaded.sites, cluster: loaded.cluster, nodes: [SYNTHETIC_NODE], pinned: new Map(), here: SYNTHETIC_NODE.id });
  const desired = renderDesired({ sites: loaded.sites, cluster: loaded.cluster, pins: placement.pins, invalidSites: loaded.invalidSites });
  const bodies = apiFromDesired(desired, onePercent(desired.sites));
  for (const b of BODIES) writeFileSync(join(dir, `${b}.json`), bodies[b]);
  writeFileSync(join(dir, "changed.json"), JSON.stringify([...onePercent(desired.sites)]));
}

/** The engine's answer to a task list filtered by service (as readLive asks): made outside the clock. */
function engineTasks(dir: string, services: readonly string[]): string {
  const wanted = new Set(services);
  return JSON.stringify((JSON.parse(readFileSync(join(dir, "tasks.json"), "utf8")) as ApiTask[]).filter((t) => wanted.has(t.ServiceID ?? "")));
}

async function measure(count: number, dir: string): Promise<PlanScaleResult> {
  let peakHeap = 0;
  const sample = (): void => {
    peakHeap = Math.max(peakHeap, process.memoryUsage().heapUsed);
  };
  // Wall and CPU time of one phase; what runs between phases (the synthetic engine's answers) is on neither clock.
  const phase = <T>(run: () => T): { value: T; ms: number; cpu: number } => {
    const t = process.hrtime.bigint();
    const c = process.cpuUsage();
    const value = run();
    const cpu = cpuMs(process.cpuUsage(c));
    const ms = Number(process.hrtime.bigint() - t) / 1e6;
    sample();
    return { value, ms, cpu };
  };
  // The engine's answers to the four object lists, as the client receives them (strings), outside the clocks.
  let bodies: Record<string, string> | undefined = Object.fromEntries(BODIES.filter((b) => b !== "tasks").map((b) => [b, readFileSync(join(dir, `${b}.json`), "utf8")]));
  const changed = new Set(JSON.parse(readFileSync(join(dir, "changed.json"), "utf8")) as string[]);

  const t = process.hrtime.bigint();
  const c = process.cpuUsage();
  const read = await readRepo(join(dir, "repo"));
  const readMs = Number(process.hrtime.bigint() - t) / 1e6;
  const readCpu = cpuMs(process.cpuUsage(c));
  if (read.errors.length > 0 || read.files.length !== count + 1) throw new Error(`the synthetic repository reads back wrong: ${read.errors.map((e) => e.message).join("; ")}`);
  const files = read.files;

  const load = phase(() => loadFiles(files));
  const loaded = load.value;
  if (!loaded.cluster || loaded.errors.length > 0) throw new Error(`synthetic repository does not load: ${loaded.errors.map((e) => e.message).join("; ")}`);
  const cluster = loaded.cluster;

  // Reading the swarm as readLive(…, "plan") does: the four object lists parsed (as dockerode
  // does) and normalised, then the tasks of the services taskServiceIds names, when it names any.
  // Each body is dropped once parsed, as the client's response buffer is.
  const objects = phase(() => {
    const b = bodies as Record<string, string>;
    bodies = undefined;
    return liveObjectsFromApi(cluster.instance, {
      networks: JSON.parse(b.networks ?? "[]") as ApiNetwork[],
      volumes: (JSON.parse(b.volumes ?? "{}") as { Volumes: ApiVolume[] }).Volumes,
      secrets: JSON.parse(b.secrets ?? "[]") as ApiSecret[],
      services: JSON.parse(b.services ?? "[]") as ApiService[],
    });
  });
  const ids = taskServiceIds(objects.value, "plan");
  let taskBody: string | undefined = ids.length > 0 ? engineTasks(dir, ids) : undefined;
  const withTaskList = phase((): LiveState => {
    const tasks = taskBody === undefined ? [] : (JSON.parse(taskBody) as ApiTask[]);
    taskBody = undefined;
    return { ...withTasks(objects.value, tasks, "plan"), nodes: [SYNTHETIC_NODE], here: SYNTHETIC_NODE.id };
  });
  const live = { value: withTaskList.value, ms: objects.ms + withTaskList.ms, cpu: objects.cpu + withTaskList.cpu };

  // Placement (the pins read back from the swarm) and render, as planLoaded does.
  const place = (): ReturnType<typeof renderDesired> => {
    const placement = placeSites({ sites: loaded.sites, cluster, nodes: live.value.nodes ?? [], here: live.value.here ?? null, ...livePins(live.value) });
    return renderDesired({ sites: loaded.sites, cluster, pins: placement.pins, invalidSites: loaded.invalidSites });
  };
  const render = phase(place);
  const desired = render.value;
  const diff = phase(() => makePlan(desired, live.value, loaded.errors));
  const plan = diff.value;

  const again = phase(place);
  const replan = phase(() => makePlan(again.value, live.value, loaded.errors));

  const actions = plan.actions.filter(isMutation).length;
  if (replan.value.actions.filter(isMutation).length !== actions) throw new Error("the second plan over the same input differs from the first");
  // A plan that does not update exactly the changed sites' web services measured the wrong thing.
  const updated = new Set(plan.actions.filter(isMutation).map((a) => a.site));
  if (actions !== changed.size || [...changed].some((s) => !updated.has(s))) throw new Error(`expected ${changed.size} updates, the plan has ${actions} mutations`);
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
    tasksListed: live.value.tasks.length,
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
