/**
 * Figure 5b, without an engine: what the daemon holds at rest for N sites, in a fresh process
 * per size. The modules `simulium run` loads (the CLI's entry, the run command, the daemon),
 * then two passes over N synthetic manifests read from disk (read, load, render, a synthetic
 * live state, plan: the work of a resync, the swarm read replaced as in figure 4), the second
 * pass's results kept as the daemon keeps its last pass. After the daemon's own
 * memory-reducing collection once its runs are over (daemon/memory.ts), VmRSS. It leaves out
 * what only a real engine gives (dockerode's sockets and buffers, the git clone, the HTTP
 * server answering): figure 5 measures the real daemon. Prints one JSON line.
 */
// What `simulium run` loads: the CLI registers only the command it runs (cli/commands.ts).
import "../controller/cli/main";
import "../controller/cli/run";
import "../controller/daemon/daemon";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { renderDesired } from "../controller/desired/render";
import type { DesiredState } from "../controller/desired/types";
import type { LiveState } from "../controller/live/types";
import type { LoadResult } from "../controller/manifests/types";
import type { Plan } from "../controller/plan/types";
import { loadRepo } from "../controller/manifests/load";
import { makePlan } from "../controller/plan/plan";
import { memoryReducingGc } from "../controller/daemon/memory";
import { parseProcStatus } from "./proc-status";
import type { RestScaleResult } from "./rest-scale-types";
import { liveFromDesired, onePercent, syntheticRepo } from "./synthetic";

/** One resync's results: what the daemon holds until the next one. */
interface Pass {
  readonly load: LoadResult;
  readonly desired: DesiredState;
  readonly live: LiveState;
  readonly plan: Plan;
}

async function pass(dir: string): Promise<Pass> {
  const load = await loadRepo(dir);
  if (!load.cluster || load.errors.length > 0) throw new Error(`synthetic repository does not load: ${load.errors.map((e) => e.message).join("; ")}`);
  const desired = renderDesired({ sites: load.sites, cluster: load.cluster, invalidSites: load.invalidSites });
  const live = liveFromDesired(desired, onePercent(desired.sites));
  return { load, desired, live, plan: makePlan(desired, live, load.errors) };
}

function rssMb(): number {
  return parseProcStatus(readFileSync("/proc/self/status", "utf8")).rssMb;
}

async function main(): Promise<void> {
  const count = Number(process.argv[2]);
  if (!Number.isInteger(count) || count < 1) throw new Error(`usage: rest-scale <sites>, got ${process.argv[2] ?? "nothing"}`);
  const reduceMemory = memoryReducingGc();
  if (reduceMemory === undefined) throw new Error("V8 offers no memory-reducing collection here");
  reduceMemory();
  const modulesMb = rssMb();
  const dir = mkdtempSync(join(tmpdir(), "simulium-rest-scale-"));
  try {
    for (const f of syntheticRepo("bench", "site", count)) {
      mkdirSync(dirname(join(dir, f.path)), { recursive: true });
      writeFileSync(join(dir, f.path), f.text);
    }
    await pass(dir);
    // Kept, as the daemon keeps its last pass (and the load cache its last check of each file).
    const last = await pass(dir);
    // The collection the daemon makes once its runs are over (daemon/memory.ts).
    const settled = performance.now();
    reduceMemory();
    const settleMs = performance.now() - settled;
    const atRestRssMb = rssMb();
    const heapUsedMb = process.memoryUsage().heapUsed / 2 ** 20;
    // Read after the measurement, so the last pass is still held when it is taken.
    const result: RestScaleResult = { sites: count, modulesRssMb: modulesMb, atRestRssMb, heapUsedMb, peakRssMb: parseProcStatus(readFileSync("/proc/self/status", "utf8")).hwmMb, settleMs, plannedActions: last.plan.actions.length };
    process.stdout.write(JSON.stringify(result) + "\n");
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exitCode = 1;
});
