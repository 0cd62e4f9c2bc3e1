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
import { loadBesideLive } from "../controller/reconcile/load-beside-live";
import { loadForPlan } from "../controller/reconcile/pipeline";
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

  // Reading the swarm as readLive(…, "plan") does: the four object lists parsed (as dockerode
  // does) and normalised, then the tasks of the services taskServiceIds names, when it names any
  // (none on this converged swarm; their answer would be made on the clock). Each body is
  // dropped once parsed, as the client's response buffer is. Called before the manifests are
  // read (loadBesideLive), it parses when the engine's answers would arrive: after a turn of
  // the event loop, between two batches of files read.
  const liveTimes = { ms: 0, cpu: 0, endedAt: 0n };
  const readLiveOf = async (instance: string): Promise<LiveState> => {
    await new Promise<void>((resolve) => setImmediate(resolve));
    const t = process.hrtime.bigint();
    const c = process.cpuUsage();
    const b = bodies as Record<string, string>;
    bodies = undefined;
    const objects = liveObjectsFromApi(instance, {
      networks: JSON.parse(b.networks ?? "[]") as ApiNetwork[],
      volumes: (JSON.parse(b.volumes ?? "{}") as { Volumes: ApiVolume[] }).Volumes,
      secrets: JSON.parse(b.secrets ?? "[]") as ApiSecret[],
      services: JSON.parse(b.services ?? "[]") as ApiService[],
    });
    const ids = taskServiceIds(objects, "plan");
    const tasks = ids.length > 0 ? (JSON.parse(engineTasks(dir, ids)) as ApiTask[]) : [];
    const live = { ...withTasks(objects, tasks, "plan"), nodes: [SYNTHETIC_NODE], here: SYNTHETIC_NODE.id };
    liveTimes.endedAt = process.hrtime.bigint();
    liveTimes.ms = Number(liveTimes.endedAt - t) / 1e6;
    liveTimes.cpu = cpuMs(process.cpuUsage(c));
    return live;
  };

  // The swarm's list calls made, then the manifests read and loaded: loadBesideLive, as
  // `simulium plan` does.
  const repo = join(dir, "repo");
  const readDone = { ms: 0, at: 0n };
  const loadTimes = { ms: 0, cpu: 0 };
  const t = process.hrtime.bigint();
  const c = process.cpuUsage();
  const both = await loadBesideLive(repo, {
    instance: undefined,
    load: async (read) => {
      const files = await read();
      readDone.at = process.hrtime.bigint();
      readDone.ms = Number(readDone.at - t) / 1e6;
      if (files.errors.length > 0 || files.files.length !== count + 1) throw new Error(`the synthetic repository reads back wrong: ${files.errors.map((e) => e.message).join("; ")}`);
      const lt = process.hrtime.bigint();
      const lc = process.cpuUsage();
      const loaded = await loadForPlan(repo, { read: () => Promise.resolve(files) });
      loadTimes.ms = Number(process.hrtime.bigint() - lt) / 1e6;
      loadTimes.cpu = cpuMs(process.cpuUsage(lc));
      return loaded;
    },
    readLive: readLiveOf,
  });
  const loadAndLiveMs = Number(process.hrtime.bigint() - t) / 1e6;
  const loadAndLiveCpu = cpuMs(process.cpuUsage(c));
  sample();
  const loaded = both.loaded.load;
  if (loaded.errors.length > 0) throw new Error(`synthetic repository does not load: ${loaded.errors.map((e) => e.message).join("; ")}`);
  const cluster = both.loaded.cluster;
  const live = { value: both.live };

  // Placement (the pins read back from the swarm) and render, as planLoaded does.
  const place = (): ReturnType<typeof renderDesired> => {
    const placement = placeSites({ sites: loaded.sites, cluster, nodes: live.value.nodes ?? [], here: live.value.here ?? null, ...livePins(live.value) });
    return renderDesired({ sites: loaded.sites, cluster, pins: placement.pins, invalidSites: loaded.invalidSites });
  };
  const render = phase(place);
  const desired = render.value;
  const diff = phase(() => makePlan(desired, live.value, loaded.errors));
  const plan = diff.value;
  // The cold plan's own peaks: `simulium plan` ends here; the warm pass below holds a second
  // desired state and plan beside the first, which no single plan does.
  const coldPeakRssMb = process.resourceUsage().maxRSS / 1024;
  const coldPeakHeap = peakHeap;

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
    // The swarm's answers were parsed between two batches of files: not the read's time.
    readMs: readDone.ms - (liveTimes.endedAt > 0n && liveTimes.endedAt <= readDone.at ? liveTimes.ms : 0),
    loadMs: loadTimes.ms,
    renderMs: render.ms,
    liveMs: liveTimes.ms,
    diffMs: diff.ms,
    loadAndLiveMs,
    warmRenderMs: again.ms,
    warmDiffMs: replan.ms,
    actions,
    tasksListed: live.value.tasks.length,
    coldPlanMs: startupMs + loadAndLiveMs + render.ms + diff.ms,
    cpuMs: {
      startup: startupCpuMs,
      read: loadAndLiveCpu - liveTimes.cpu - loadTimes.cpu,
      load: loadTimes.cpu,
      render: render.cpu,
      live: liveTimes.cpu,
      diff: diff.cpu,
      liveAndDiff: liveTimes.cpu + diff.cpu,
      loadAndLive: loadAndLiveCpu,
      coldPlan: startupCpuMs + loadAndLiveCpu + render.cpu + diff.cpu,
    },
    peakRssMb: coldPeakRssMb,
    peakHeapUsedMb: coldPeakHeap / 2 ** 20,
    peakRssWithWarmMb: process.resourceUsage().maxRSS / 1024,
  };
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exitCode = 1;
});
