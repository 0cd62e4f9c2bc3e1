/**
 * `npm run bench`: simulium against a `docker stack deploy` loop on the real swarm, and
 * planning at scale without an engine. Sizes: BENCH_SIZES (sites per engine run),
 * BENCH_PLAN_SIZES (synthetic sites), BENCH_TIMEOUT_S (per converge). Everything created
 * carries a fresh instance label and is removed at the end, also on failure or Ctrl-C.
 */
import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import Docker from "dockerode";
import { startCountingProxy } from "../test/support/counting-proxy";
import { removeInstance } from "../test/support/swarm";
import { Contender, Env, Pass, simuliumContender, stackDeployContender } from "./contenders";
import type { PlanScaleResult } from "./plan-scale-types";
import { BenchResults, NOT_MEASURED, renderTable, SizeResult } from "./report";
import { DOCKER_CLI, floorSeconds, run } from "./swarm";

const sizes = (name: string, fallback: string): number[] => {
  const list = (process.env[name] ?? fallback).split(",").filter((s) => s.trim() !== "").map(Number);
  if (list.some((n) => !Number.isInteger(n) || n < 0)) throw new Error(`${name} must be a comma-separated list of site counts`);
  return list;
};

// bench.sh runs from the repository root; the compiled files live in a temporary directory.
const ROOT = process.cwd();
const log = (msg: string): void => void process.stderr.write(`[bench] ${msg}\n`);
const runId = randomBytes(3).toString("hex");
const created = new Set<string>();

async function cleanup(docker: Docker): Promise<void> {
  for (const instance of created) {
    log(`removing everything labelled simulium.instance=${instance}`);
    await removeInstance(docker, instance).catch((err: unknown) => log(`cleanup of ${instance} failed: ${String(err)}`));
    created.delete(instance);
  }
}

function git(args: string[]): string {
  try {
    return execFileSync("git", args, { cwd: ROOT, encoding: "utf8" }).trim();
  } catch {
    return "";
  }
}

function planScale(sites: number): PlanScaleResult {
  const out = execFileSync(process.execPath, [path.join(__dirname, "plan-scale.js"), String(sites)], { encoding: "utf8", env: process.env, maxBuffer: 2 ** 20 });
  return JSON.parse(out.trim().split("\n").pop() ?? "{}") as PlanScaleResult;
}

async function measure(make: () => Contender, docker: Docker): Promise<{ initial: Pass; noop: Pass | null }> {
  const c = make();
  created.add(c.instance);
  try {
    log(`${c.instance}: initial converge`);
    const initial = await c.initial();
    log(`${c.instance}: ${initial.seconds.toFixed(1)} s${initial.ok ? "" : ` (${initial.error ?? "failed"})`}; no-op re-run`);
    // A no-op run on a swarm that never converged measures nothing meaningful.
    const noop = initial.ok ? await c.noop() : null;
    return { initial, noop };
  } finally {
    c.dispose();
    await cleanup(docker);
  }
}

async function main(): Promise<void> {
  const engineSizes = sizes("BENCH_SIZES", "10,25,50");
  const planSizes = sizes("BENCH_PLAN_SIZES", "1000,10000");
  const timeoutMs = Number(process.env.BENCH_TIMEOUT_S ?? "600") * 1000;
  const direct = new Docker();
  const proxy = await startCountingProxy();
  const env: Env = { direct, proxy, timeoutMs };
  const onSignal = (sig: NodeJS.Signals): void => {
    log(`${sig}: cleaning up`);
    void cleanup(direct).finally(() => process.exit(130));
  };
  process.once("SIGINT", onSignal);
  process.once("SIGTERM", onSignal);

  const notes: string[] = [];
  const converge: SizeResult[] = [];
  let floor: number | null = null;
  try {
    const floorInstance = `bench${runId}f`;
    created.add(floorInstance);
    floor = await floorSeconds(direct, floorInstance).catch((err: unknown) => {
      notes.push(`floor: ${String(err)}`);
      return null;
    });
    await cleanup(direct);
    for (const n of engineSizes) {
      log(`== ${n} sites ==`);
      const simulium = await measure(() => simuliumContender(env, `bench${runId}s${n}`, n), direct);
      const stackDeploy = await measure(() => stackDeployContender(env, `bench${runId}d${n}`, n), direct);
      converge.push({ sites: n, simulium, stackDeploy });
    }
  } finally {
    await cleanup(direct);
    await proxy.close();
    rmSync(path.dirname(proxy.socketPath), { recursive: true, force: true });
  }
  const planning = planSizes.map((n) => {
    log(`planning ${n} synthetic sites`);
    return planScale(n);
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
    planning,
    notMeasured: NOT_MEASURED,
    notes: [
      ...notes,
      "the engine is shared with other work on this machine: engine figures carry that noise",
      "calls are engine API requests through a counting proxy; simulium's include its own convergence polling, the stack deploy loop's exclude the bench's polling for running tasks",
    ],
  };
  const file = path.join(ROOT, "bench", "results", "latest.json");
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, JSON.stringify(results, null, 2) + "\n");
  process.stdout.write(renderTable(results) + "\n");
  log(`wrote ${path.relative(ROOT, file)}`);
}

main().catch((err: unknown) => {
  log(err instanceof Error ? (err.stack ?? err.message) : String(err));
  process.exit(1);
});
