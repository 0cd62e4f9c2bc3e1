/**
 * `npm run bench`: simulium against a `docker stack deploy` loop on the real swarm, and
 * planning at scale without an engine, one changed site until it serves (figure 3) and the
 * daemon's memory (figure 5), one site's task move in Varnish at N sites (figure 6), a new
 * domain's commit until a valid certificate is served for it (figure 9). Sizes:
 * BENCH_SIZES (sites per engine run, default 10,50,100), BENCH_PLAN_SIZES (synthetic sites),
 * BENCH_ROUTING_SIZES (sites in Varnish, default 100,1000), BENCH_REST_SIZES (the daemon's
 * memory without an engine, default 10,100,1000), BENCH_TIMEOUT_S (per converge), BENCH_TLS_SAMPLES
 * (figure 9: domains added one by one, default 5).
 * BENCH_ONLY=routing|planning|rest|cluster|tls runs that figure alone and merges it into the last results
 * (cluster: figure 8 on the 3-node test cluster of harness/cluster.sh, BENCH_CLUSTER_SITES sites, default 50;
 * it needs root, and is part of the full run too); BENCH_ONLY=floor the initial converges of figure 1b at
 * BENCH_SIZES (the floor, simulium, with BENCH_SERIAL=1 simulium one call at a time too, the stack deploy
 * loop unless BENCH_STACK=0), replacing the rows of those sizes; BENCH_ONLY=concurrent figure 10, one site's
 * change while another rolls out (BENCH_CONCURRENT_REPEAT, default 3); BENCH_ONLY=serve figure 3b, simulium's
 * commit → served repeated (BENCH_SERVE_REPEAT, default 3) at BENCH_SIZES (default 100) with both floors
 * before each. BENCH_SERVE_LOG=<file> keeps figure 3's daemon log. Everything created
 * carries a fresh instance label and is removed at the end, also on failure or Ctrl-C.
 */
import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import Docker from "dockerode";
import { startCountingProxy } from "../test/support/counting-proxy";
import { removeInstance } from "../test/support/swarm";
import { APPLY_CONCURRENCY } from "../controller/apply/schedule";
import { Contender, Env, floorContender, LOCAL, Pass, simuliumContender, stackDeployContender } from "./contenders";
import type { PlanScaleResult } from "./plan-scale-types";
import { growthCaption, growthRows, growthSvg } from "./growth";
import { concurrentServe } from "./concurrent";
import type { ConcurrentServeResult } from "./concurrent-types";
import type { RestScaleResult } from "./rest-scale-types";
import type { RoutingScaleResult } from "./routing-scale-types";
import { clusterFigures } from "./cluster";
import { tlsIssue } from "./tls-issue";
import type { TlsIssueResult } from "./tls-issue-types";
import { BenchResults, ContenderResult, FloorRow, renderTable, serveRunRows, SizeResult } from "./report";
import type { DaemonRss, ServePass, ServeRun, ServeSample } from "./serve-types";
import { siteNames } from "./synthetic";
import { DOCKER_CLI, floorSeconds, run, SITE_HEALTH_INTERVAL_S, updateFloorSeconds } from "./swarm";

const sizes = (name: string, fallback: string): number[] => {
  const list = (process.env[name] ?? fallback).split(",").filter((s) => s.trim() !== "").map(Number);
  if (list.some((n) => !Number.isInteger(n) || n < 0)) throw new Error(`${name} must be a comma-separated list of site counts`);
  return list;
};

/** 10 and 100 too, for figure 7: the planning at the sizes the engine figures are measured at. */
const PLAN_SIZES = "10,100,1000,10000";

// bench.sh runs from the repository root; the compiled files live in a temporary directory.
const ROOT = process.cwd();
/** Where every run writes its figures (a focused run merges into it). */
const RESULTS_FILE = path.join(ROOT, "bench", "results", "latest.json");

/** An interrupted run still removes what it made on the engine. */
function cleanupOnSignal(docker: Docker): void {
  const onSignal = (sig: NodeJS.Signals): void => {
    interrupted = true;
    log(`${sig}: cleaning up`);
    void cleanup(docker).finally(() => process.exit(130));
  };
  process.once("SIGINT", onSignal);
  process.once("SIGTERM", onSignal);
}
const log = (msg: string): void => void process.stderr.write(`[bench] ${msg}\n`);
const runId = randomBytes(3).toString("hex");
const created = new Set<string>();
/** Set by Ctrl-C or SIGTERM: the flow then starts nothing new while the handler cleans up and exits. */
let interrupted = false;

/** Records an instance about to be created, for cleanup; refuses once the run was interrupted. */
function track(instance: string): void {
  if (interrupted) throw new Error(`interrupted: ${instance} not started`);
  created.add(instance);
}

const CLEANUP_ATTEMPTS = 3;

/**
 * Removes every instance created so far. Removing 200 services can outlast one attempt's wait
 * on a loaded engine; the next contender must not start while they are still going, so it
 * retries, and an instance still failing stays listed for the final cleanup.
 */
async function cleanup(docker: Docker): Promise<void> {
  for (const instance of created) {
    log(`removing everything labelled simulium.instance=${instance}`);
    for (let attempt = 1; attempt <= CLEANUP_ATTEMPTS; attempt++) {
      const failure = await removeInstance(docker, instance).then(() => null, (err: unknown) => String(err));
      if (failure === null) {
        created.delete(instance);
        break;
      }
      log(`cleanup of ${instance} failed (attempt ${attempt} of ${CLEANUP_ATTEMPTS}): ${failure}`);
    }
  }
}

function git(args: string[]): string {
  try {
    return execFileSync("git", args, { cwd: ROOT, encoding: "utf8" }).trim();
  } catch {
    return "";
  }
}

function routingScale(sites: number): RoutingScaleResult {
  const out = execFileSync(process.execPath, [path.join(__dirname, "routing-scale.js"), String(sites)], { encoding: "utf8", env: process.env, maxBuffer: 2 ** 20 });
  return JSON.parse(out.trim().split("\n").pop() ?? "{}") as RoutingScaleResult;
}

/** Figure 9 on the engine, under its own instance, removed afterwards. */
async function tlsFigure(docker: Docker, timeoutMs: number): Promise<TlsIssueResult> {
  const instance = `bench${runId}t`;
  track(instance);
  try {
    log(`HTTPS: domains added to a site one by one, until a valid certificate is served for each`);
    return await tlsIssue({ docker, instance, samples: sizes("BENCH_TLS_SAMPLES", "5")[0] ?? 5, timeoutMs, log });
  } finally {
    await cleanup(docker);
  }
}

/**
 * BENCH_ONLY=routing|planning|rest|tls: that figure alone, merged into the existing results (the engine
 * figures take 13 minutes and starve a shared machine); a note says when and on which commit.
 */
async function focusedRun(only: string): Promise<void> {
  const file = RESULTS_FILE;
  // Read when the figure is done: a focused run (the cluster's takes a quarter of an hour) must
  // not put back what changed in the file meanwhile.
  const read = (): BenchResults => JSON.parse(readFileSync(file, "utf8")) as BenchResults;
  const commit = git(["rev-parse", "HEAD"]);
  const when = `${new Date().toISOString()} on commit ${commit.slice(0, 12)}${git(["status", "--porcelain"]) === "" ? "" : " (dirty tree)"}, load average ${os.loadavg().map((x) => x.toFixed(1)).join(" ")}`;
  let results: BenchResults;
  if (only === "routing") {
    const routing = sizes("BENCH_ROUTING_SIZES", "100,1000").map((n) => {
      log(`routing change with ${n} sites`);
      return routingScale(n);
    });
    const previous = read();
    results = { ...previous, routing, notes: [...previous.notes.filter((n) => !n.startsWith("figure 6 ")), `figure 6 from a focused run (BENCH_ONLY=routing) at ${when}`] };
  } else if (only === "planning") {
    const planning = sizes("BENCH_PLAN_SIZES", PLAN_SIZES).map((n) => {
      log(`planning ${n} synthetic sites`);
      return planScale(n);
    });
    const previous = read();
    results = { ...previous, planning, planSizes: planning.map((p) => p.sites), notes: [...previous.notes.filter((n) => !n.startsWith("figure 4 ")), `figure 4 from a focused run (BENCH_ONLY=planning) at ${when}`] };
  } else if (only === "rest") {
    const rest = sizes("BENCH_REST_SIZES", REST_SIZES).map((n) => {
      log(`daemon at rest with ${n} synthetic sites`);
      return restScale(n);
    });
    const previous = read();
    results = { ...previous, rest, notes: [...previous.notes.filter((n) => !n.startsWith("figure 5b ")), `figure 5b from a focused run (BENCH_ONLY=rest) at ${when}`] };
  } else if (only === "cluster") {
    const cluster = await clusterFigures({ sites: clusterSites(), timeoutMs: Number(process.env.BENCH_TIMEOUT_S ?? "600") * 1000, cli: path.join(__dirname, "..", "controller", "cli", "main.js"), runId, log });
    const previous = read();
    results = { ...previous, cluster, notes: [...previous.notes.filter((n) => !n.startsWith("figure 8 ")), `figure 8 from a focused run (BENCH_ONLY=cluster) at ${when}`] };
  } else if (only === "tls") {
    const docker = new Docker();
    // Figure 9 runs on the engine: an interrupted run still removes what it made.
    cleanupOnSignal(docker);
    const tls = await tlsFigure(docker, Number(process.env.BENCH_TIMEOUT_S ?? "600") * 1000);
    const previous = read();
    results = { ...previous, tls, notes: [...previous.notes.filter((n) => !n.startsWith("figure 9 ")), `figure 9 from a focused run (BENCH_ONLY=tls) at ${when}`] };
  } else {
    throw new Error(`BENCH_ONLY must be routing, planning, rest, cluster, tls, floor, serve or concurrent, got ${only}`);
  }
  writeFileSync(file, JSON.stringify(results, null, 2) + "\n");
  writeGrowthChart(file, results);
  process.stdout.write(renderTable(results) + "\n");
  log(`updated ${path.relative(ROOT, file)} and growth.svg beside it`);
}

/** Figure 8's size: BENCH_CLUSTER_SITES, default 50; 0 skips figure 8 in a full run. */
const clusterSites = (): number => sizes("BENCH_CLUSTER_SITES", "50")[0] ?? 50;

/**
 * The last results, for a full run that keeps the figures only a focused run measured: figure 8
 * when told to skip the cluster, figure 3b (BENCH_ONLY=serve) always. undefined when there are none.
 */
function previousResults(): BenchResults | undefined {
  try {
    return JSON.parse(readFileSync(RESULTS_FILE, "utf8")) as BenchResults;
  } catch {
    return undefined;
  }
}

/** Figure 7's chart, beside the results it is drawn from. */
function writeGrowthChart(resultsFile: string, results: BenchResults): void {
  writeFileSync(path.join(path.dirname(resultsFile), "growth.svg"), growthSvg(growthRows(results), growthCaption(results)));
}

function restScale(sites: number): RestScaleResult {
  const out = execFileSync(process.execPath, [path.join(__dirname, "rest-scale.js"), String(sites)], { encoding: "utf8", env: process.env, maxBuffer: 2 ** 20 });
  return JSON.parse(out.trim().split("\n").pop() ?? "{}") as RestScaleResult;
}

const REST_SIZES = "10,100,1000";

/** BENCH_PLAN_RUNS fresh processes per size (default 3): the median run by wall time, with every run's figures. */
function planScale(sites: number): PlanScaleResult {
  const once = (): PlanScaleResult => {
    const out = execFileSync(process.execPath, [path.join(__dirname, "plan-scale.js"), String(sites)], { encoding: "utf8", env: process.env, maxBuffer: 2 ** 20 });
    return JSON.parse(out.trim().split("\n").pop() ?? "{}") as PlanScaleResult;
  };
  const runs = Array.from({ length: Math.max(1, Number(process.env.BENCH_PLAN_RUNS ?? "3")) }, once).sort((a, b) => a.coldPlanMs - b.coldPlanMs);
  const median = runs[Math.floor(runs.length / 2)] ?? once();
  return { ...median, runs: runs.map((r) => ({ coldPlanMs: r.coldPlanMs, cpuMs: r.cpuMs.coldPlan, peakRssMb: r.peakRssMb })) };
}

const message = (err: unknown): string => (err instanceof Error ? err.message : String(err));

async function measure(make: () => Contender, docker: Docker): Promise<ContenderResult> {
  const c = make();
  track(c.instance);
  try {
    log(`${c.instance}: initial converge`);
    const initial = await c.initial();
    log(`${c.instance}: ${initial.seconds.toFixed(1)} s${initial.ok ? "" : ` (${initial.error ?? "failed"})`}; no-op re-run`);
    // A no-op run, a changed site or a daemon on a swarm that never converged measures nothing meaningful.
    if (!initial.ok) return { initial, noop: null, serve: null, floorAtServeSeconds: null, updateFloorAtServeSeconds: null, rss: null };
    const noop = await c.noop();
    let rss: DaemonRss | null = null;
    if (c.rss) {
      log(`${c.instance}: no-op ${noop.seconds.toFixed(1)} s; daemon (CLI) memory`);
      rss = await c.rss().catch((err: unknown): DaemonRss => ({ sites: 0, ok: false, readySeconds: 0, idleResyncs: 0, resyncSeconds: 0, rssAtRestMb: null, rssIdleMaxMb: null, peakRssMb: null, error: message(err) }));
      log(`${c.instance}: daemon RSS at rest ${rss.rssAtRestMb?.toFixed(0) ?? "?"} MB, peak ${rss.peakRssMb?.toFixed(0) ?? "?"} MB${rss.error ? ` (${rss.error})` : ""}`);
    }
    const { floor, updateFloor } = await floorsNow(docker, `${c.instance}f`);
    log(`${c.instance}: floor now ${floor?.toFixed(1) ?? "?"} s, a health-checked start-first update ${updateFloor?.toFixed(1) ?? "?"} s; one site changed, until it serves`);
    const serve = await c.serve().catch((err: unknown): ServePass => ({ ok: false, seconds: 0, changedSite: "?", via: "exec", probes: 0, error: message(err) }));
    log(`${c.instance}: changed site serves after ${serve.seconds.toFixed(2)} s${serve.error ? ` (${serve.error})` : ""}`);
    return { initial, noop, serve, floorAtServeSeconds: floor, updateFloorAtServeSeconds: updateFloor, rss };
  } finally {
    c.dispose();
    await cleanup(docker);
  }
}

/**
 * Both floors right before a figure-3 change (on a shared engine they move with the load): a
 * service created until it runs, and a health-checked start-first update until its new task
 * runs; null for one that failed. Their services are removed before the change.
 */
async function floorsNow(docker: Docker, instance: string): Promise<{ floor: number | null; updateFloor: number | null }> {
  track(instance);
  const floor = await floorSeconds(docker, instance).catch(() => null);
  const updateFloor = await updateFloorSeconds(docker, instance, SITE_HEALTH_INTERVAL_S).catch(() => null);
  await removeInstance(docker, instance).then(() => created.delete(instance), () => undefined);
  return { floor, updateFloor };
}

/** One initial converge, its objects removed afterwards (they are not used again). */
async function initialOnly(make: () => { readonly instance: string; initial(): Promise<Pass>; dispose?(): void }, docker: Docker): Promise<Pass> {
  const c = make();
  track(c.instance);
  try {
    log(`${c.instance}: initial converge`);
    const pass = await c.initial();
    log(`${c.instance}: ${pass.seconds.toFixed(1)} s, ${pass.apiCalls} calls${pass.ok ? "" : ` (${pass.error ?? "failed"})`}`);
    return pass;
  } finally {
    c.dispose?.();
    await cleanup(docker);
  }
}

/** Figure 10 on the engine, cleaned up like the others. */
async function concurrentFigure(docker: Docker, timeoutMs: number): Promise<ConcurrentServeResult> {
  const instance = `bench${runId}c`;
  track(instance);
  log("one site's change while another rolls out");
  try {
    return await concurrentServe(docker, instance, { sites: 2, repeat: Number(process.env.BENCH_CONCURRENT_REPEAT ?? "3"), timeoutMs, log });
  } finally {
    await cleanup(docker);
  }
}

/**
 * BENCH_ONLY=floor: figure 1b alone, merged into the existing results. Each contender's
 * objects are removed before the next starts, so none converges beside another's teardown.
 */
async function floorRun(): Promise<void> {
  const file = RESULTS_FILE;
  const previous = JSON.parse(readFileSync(file, "utf8")) as BenchResults;
  const direct = new Docker();
  const proxy = await startCountingProxy();
  const env: Env = { direct, proxy, timeoutMs: Number(process.env.BENCH_TIMEOUT_S ?? "600") * 1000, cli: path.join(__dirname, "..", "controller", "cli", "main.js"), log };
  cleanupOnSignal(direct);
  const rows: FloorRow[] = [];
  const loadAtStart = os.loadavg();
  // Written after each size: a run stopped later (a busy machine, Ctrl-C) keeps the sizes it finished.
  const save = (): BenchResults => {
    const commit = git(["rev-parse", "HEAD"]);
    const when = `${new Date().toISOString()} on commit ${commit.slice(0, 12)}${git(["status", "--porcelain"]) === "" ? "" : " (dirty tree)"}, load average ${loads(loadAtStart)} at the start, ${loads(os.loadavg())} at the end`;
    // By size: a run of some sizes keeps the others' rows.
    const kept = (previous.floorConverge ?? []).filter((r) => !rows.some((x) => x.sites === r.sites));
    const floorConverge = [...kept, ...rows].sort((a, b) => a.sites - b.sites);
    const note = `figure 1b (${rows.map((r) => r.sites).join(", ")} sites) from a focused run (BENCH_ONLY=floor) at ${when}; the machine is shared with other work`;
    const results: BenchResults = { ...previous, floorConverge, notes: [...previous.notes.filter((x) => !rows.some((r) => x.startsWith(`figure 1b (${r.sites}`))), note] };
    writeFileSync(file, JSON.stringify(results, null, 2) + "\n");
    log(`updated ${path.relative(ROOT, file)}`);
    return results;
  };
  try {
    for (const n of sizes("BENCH_SIZES", "10,50,100")) {
      log(`== ${n} sites ==`);
      const before = os.loadavg();
      const floor = await initialOnly(() => floorContender(env, `bench${runId}f${n}`, n, APPLY_CONCURRENCY), direct);
      const simulium = await initialOnly(() => simuliumContender(env, `bench${runId}s${n}`, n), direct);
      const simuliumSerial = process.env.BENCH_SERIAL === "1" ? await initialOnly(() => simuliumContender(env, `bench${runId}o${n}`, n, LOCAL, 1), direct) : null;
      const stackDeploy = process.env.BENCH_STACK === "0" ? null : await initialOnly(() => stackDeployContender(env, `bench${runId}d${n}`, n), direct);
      rows.push({ sites: n, concurrency: APPLY_CONCURRENCY, floor, simulium, simuliumSerial, stackDeploy, loadAverage: { before, after: os.loadavg() } });
      save();
    }
  } finally {
    await cleanup(direct);
    await proxy.close();
    rmSync(path.dirname(proxy.socketPath), { recursive: true, force: true });
  }
  process.stdout.write(renderTable(save()) + "\n");
}

const loads = (l: readonly number[]): string => l.map((x) => x.toFixed(1)).join(" ");

/**
 * BENCH_ONLY=serve: figure 3b, simulium's commit → served repeated BENCH_SERVE_REPEAT times
 * (default 3, a different site each time) at each of BENCH_SIZES (default 100), each right after
 * both floors; merged into the existing results by size.
 */
async function focusedServe(): Promise<void> {
  const direct = new Docker();
  const proxy = await startCountingProxy();
  const env: Env = { direct, proxy, timeoutMs: Number(process.env.BENCH_TIMEOUT_S ?? "600") * 1000, cli: path.join(__dirname, "..", "controller", "cli", "main.js"), log };
  cleanupOnSignal(direct);
  const repeat = Number(process.env.BENCH_SERVE_REPEAT ?? "3");
  const commit = git(["rev-parse", "HEAD"]);
  const runs: ServeRun[] = [];
  try {
    for (const n of sizes("BENCH_SIZES", "100")) runs.push(await serveRun(env, n, repeat, commit));
  } finally {
    await cleanup(direct);
    await proxy.close();
    rmSync(path.dirname(proxy.socketPath), { recursive: true, force: true });
  }
  const previous = JSON.parse(readFileSync(RESULTS_FILE, "utf8")) as BenchResults;
  const kept = (previous.serveRuns ?? []).filter((r) => !runs.some((x) => x.sites === r.sites));
  const when = `${new Date().toISOString()} on commit ${commit.slice(0, 12)}${git(["status", "--porcelain"]) === "" ? "" : " (dirty tree)"}`;
  const serveRuns = [...kept, ...runs].sort((a, b) => a.sites - b.sites);
  const results: BenchResults = { ...previous, serveRuns, notes: [...previous.notes.filter((x) => !x.startsWith("figure 3b ")), `figure 3b from a focused run (BENCH_ONLY=serve) at ${when}`] };
  writeFileSync(RESULTS_FILE, JSON.stringify(results, null, 2) + "\n");
  process.stdout.write(serveRunRows(serveRuns).join("\n") + "\n");
  log(`updated ${path.relative(ROOT, RESULTS_FILE)}`);
}

async function serveRun(env: Env, n: number, repeat: number, commit: string): Promise<ServeRun> {
  const c = simuliumContender(env, `bench${runId}v${n}`, n);
  track(c.instance);
  const date = new Date().toISOString();
  try {
    log(`${c.instance}: initial converge (not timed here)`);
    const initial = await c.initial();
    if (!initial.ok) return { sites: n, date, commit, samples: [], error: initial.error ?? "the sites did not converge" };
    const names = siteNames(`${c.instance}-`, n).sort();
    const samples: ServeSample[] = [];
    for (let i = 0; i < repeat; i++) {
      // Spread over the list, never the same site twice: each change is 1 → 2.
      const site = names[Math.floor(((i + 1) * names.length) / (repeat + 1))] ?? names[0] ?? "";
      const { floor: floorNow, updateFloor } = await floorsNow(env.direct, `${c.instance}f`);
      const serve = await c.serve(site).catch((err: unknown): ServePass => ({ ok: false, seconds: 0, changedSite: site, via: "varnish", probes: 0, error: message(err) }));
      log(`${site}: served after ${serve.seconds.toFixed(2)} s (floor ${floorNow?.toFixed(2) ?? "?"} s, update floor ${updateFloor?.toFixed(2) ?? "?"} s)${serve.error ? ` (${serve.error})` : ""}`);
      samples.push({ site, serve, floorSeconds: floorNow, updateFloorSeconds: updateFloor, loadAverage: os.loadavg() });
    }
    return { sites: n, date, commit, samples };
  } finally {
    c.dispose();
    await cleanup(env.direct);
  }
}

/** BENCH_ONLY=concurrent: figure 10 alone, merged into the existing results. */
async function focusedConcurrent(): Promise<void> {
  const file = RESULTS_FILE;
  const previous = JSON.parse(readFileSync(file, "utf8")) as BenchResults;
  const commit = git(["rev-parse", "HEAD"]);
  const docker = new Docker();
  cleanupOnSignal(docker);
  const concurrent = await concurrentFigure(docker, Number(process.env.BENCH_TIMEOUT_S ?? "600") * 1000);
  const when = `${new Date().toISOString()} on commit ${commit.slice(0, 12)}${git(["status", "--porcelain"]) === "" ? "" : " (dirty tree)"}, load average ${os.loadavg().map((x) => x.toFixed(1)).join(" ")}`;
  const results: BenchResults = { ...previous, concurrent, notes: [...previous.notes.filter((n) => !n.startsWith("figure 10 ")), `figure 10 from a focused run (BENCH_ONLY=concurrent) at ${when}`] };
  writeFileSync(file, JSON.stringify(results, null, 2) + "\n");
  process.stdout.write(renderTable(results) + "\n");
  log(`updated ${path.relative(ROOT, file)}`);
}

async function main(): Promise<void> {
  const only = process.env.BENCH_ONLY;
  if (only === "floor") return floorRun();
  if (only === "concurrent") return focusedConcurrent();
  if (only === "serve") return focusedServe();
  if (only !== undefined && only !== "") return focusedRun(only);
  const engineSizes = sizes("BENCH_SIZES", "10,50,100");
  const planSizes = sizes("BENCH_PLAN_SIZES", PLAN_SIZES);
  const timeoutMs = Number(process.env.BENCH_TIMEOUT_S ?? "600") * 1000;
  const direct = new Docker();
  const proxy = await startCountingProxy();
  // bench.sh compiles the CLI with the bench, so the daemon measured is the tree's current code.
  const env: Env = { direct, proxy, timeoutMs, cli: path.join(__dirname, "..", "controller", "cli", "main.js"), log };
  const startedAt = Date.now();
  const loadAtStart = os.loadavg();
  cleanupOnSignal(direct);

  // Figure 4 first: it is CPU alone, and after the engine figures dockerd is still tearing
  // hundreds of containers down on the same two cores.
  const planning = planSizes.map((n) => {
    log(`planning ${n} synthetic sites`);
    return planScale(n);
  });
  // Figure 5b: the daemon's memory without an engine.
  const rest = sizes("BENCH_REST_SIZES", REST_SIZES).map((n) => {
    log(`daemon at rest with ${n} synthetic sites`);
    return restScale(n);
  });
  // Figure 6: a varnishd on loopback, CPU alone too.
  const routing = sizes("BENCH_ROUTING_SIZES", "100,1000").map((n) => {
    log(`routing change with ${n} sites`);
    return routingScale(n);
  });
  const notes: string[] = [];
  const converge: SizeResult[] = [];
  const floorConverge: FloorRow[] = [];
  let floor: number | null = null;
  let tls: TlsIssueResult | undefined;
  let concurrent: ConcurrentServeResult | undefined;
  try {
    const floorInstance = `bench${runId}f`;
    track(floorInstance);
    floor = await floorSeconds(direct, floorInstance).catch((err: unknown) => {
      notes.push(`floor: ${String(err)}`);
      return null;
    });
    await cleanup(direct);
    for (const n of engineSizes) {
      log(`== ${n} sites ==`);
      const before = os.loadavg();
      const converged = await initialOnly(() => floorContender(env, `bench${runId}f${n}`, n, APPLY_CONCURRENCY), direct);
      const simulium = await measure(() => simuliumContender(env, `bench${runId}s${n}`, n), direct);
      const stackDeploy = await measure(() => stackDeployContender(env, `bench${runId}d${n}`, n), direct);
      converge.push({ sites: n, simulium, stackDeploy, loadAverage: os.loadavg() });
      floorConverge.push({ sites: n, concurrency: APPLY_CONCURRENCY, floor: converged, simulium: simulium.initial, simuliumSerial: null, stackDeploy: stackDeploy.initial, loadAverage: { before, after: os.loadavg() } });
    }
    tls = await tlsFigure(direct, timeoutMs).catch((err: unknown) => {
      notes.push(`figure 9: ${message(err)}`);
      return undefined;
    });
    concurrent = await concurrentFigure(direct, timeoutMs).catch((err: unknown) => {
      notes.push(`figure 10: ${message(err)}`);
      return undefined;
    });
  } finally {
    await cleanup(direct);
    await proxy.close();
    rmSync(path.dirname(proxy.socketPath), { recursive: true, force: true });
  }
  // Figure 8 last: it brings the 3-node cluster up and down, the host's engine is idle meanwhile.
  // BENCH_CLUSTER_SITES=0 skips it and keeps the last focused run's figure 8 and its notes.
  const previous = previousResults();
  const notesOf = (figure: string): string[] => previous?.notes.filter((n) => n.startsWith(figure)) ?? [];
  const kept = clusterSites() === 0 ? { cluster: previous?.cluster, notes: previous ? notesOf("figure 8") : ["figure 8 skipped (BENCH_CLUSTER_SITES=0) and no earlier figure to keep"] } : undefined;
  if (kept !== undefined) notes.push(...kept.notes);
  notes.push(...notesOf("figure 3b"));
  const cluster = kept !== undefined ? kept.cluster : await clusterFigures({ sites: clusterSites(), timeoutMs, cli: env.cli, runId, log }).catch((err: unknown) => {
    notes.push(`figure 8 (3 nodes): ${message(err)}`);
    return undefined;
  });
  const version = (await direct.version()) as { Version?: string; ApiVersion?: string };
  const results: BenchResults = {
    commit: git(["rev-parse", "HEAD"]) || "unknown",
    dirtyTree: git(["status", "--porcelain"]) !== "",
    date: new Date().toISOString(),
    cores: os.cpus().length,
    memoryMb: Math.round(os.totalmem() / 2 ** 20),
    engine: `${version.Version ?? "?"} (API ${version.ApiVersion ?? "?"})`,
    cli: `${DOCKER_CLI} ${(await run(DOCKER_CLI, ["version", "--format", "{{.Client.Version}}"]).catch(() => "?")).trim()}`,
    sizes: engineSizes,
    planSizes,
    floorSeconds: floor,
    converge,
    floorConverge,
    planning,
    routing,
    rest,
    ...(cluster ? { cluster } : {}),
    ...(previous?.serveRuns !== undefined ? { serveRuns: previous.serveRuns } : {}),
    ...(tls !== undefined ? { tls } : {}),
    ...(concurrent ? { concurrent } : {}),
    loadAverage: { start: loadAtStart, end: os.loadavg() },
    wallSeconds: (Date.now() - startedAt) / 1000,
    notes: [
      ...notes,
      "the engine is shared with other work on this machine: engine figures carry that noise",
      "calls are engine API requests through a counting proxy; simulium's include its own convergence polling, the stack deploy loop's exclude the bench's polling for running tasks",
    ],
  };
  const file = RESULTS_FILE;
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, JSON.stringify(results, null, 2) + "\n");
  writeGrowthChart(file, results);
  process.stdout.write(renderTable(results) + "\n");
  log(`wrote ${path.relative(ROOT, file)} and growth.svg beside it`);
}

main().catch((err: unknown) => {
  log(err instanceof Error ? (err.stack ?? err.message) : String(err));
  process.exit(1);
});
