import { ChildProcess, spawn } from "node:child_process";
import { mkdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { freePort, httpGet } from "../test/harness/http";
import { writeApiToken } from "../test/support/api-token";
import type { DaemonRss } from "./serve-types";
import { parseProcStatus, ProcMemory } from "./proc-status";

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const RESYNC_SECONDS = 5;
const IDLE_RESYNCS = 3;

export interface RssInput {
  /** The compiled CLI (controller/cli/main.js). */
  readonly cli: string;
  readonly repo: string;
  readonly stateDir: string;
  readonly sites: number;
  readonly timeoutMs: number;
  readonly log: (msg: string) => void;
}

interface LastRun {
  readonly reason: string;
  readonly at: string;
  readonly ok: boolean;
  readonly error: string | null;
}

const memory = (pid: number): ProcMemory => parseProcStatus(readFileSync(`/proc/${pid}/status`, "utf8"));

/** The daemon's last run from /status; any answer but 200 is an error (not "no run yet"): a refused token would otherwise wait out the deadline. */
async function lastRun(port: number, headers: Readonly<Record<string, string>>): Promise<LastRun | null> {
  const r = await httpGet("127.0.0.1", port, "/status", headers, 10_000);
  if (r.status !== 200) throw new Error(`/status answered ${r.status}: ${r.body.slice(0, 200)}`);
  return (JSON.parse(r.body) as { lastRun: LastRun | null }).lastRun ?? null;
}

/**
 * Figure 5: `simulium run` as a child process on the forge, the way it runs in production:
 * wait for /readyz, let it resync idle a few times, and read its memory from /proc.
 */
export async function daemonRss(input: RssInput): Promise<DaemonRss> {
  const port = await freePort();
  // /status needs the bearer token, as in production; kept beside the state directory, not in it.
  const tokenDir = path.join(path.dirname(input.stateDir), "daemon-rss");
  mkdirSync(tokenDir, { recursive: true });
  const token = writeApiToken(tokenDir);
  const child = spawn(
    process.execPath,
    [input.cli, "--log-level", "warn", "run", "--repo", input.repo, "--branch", "main", "--listen", `127.0.0.1:${port}`, "--state-dir", input.stateDir, "--api-token-file", token.file, "--poll-seconds", "3600", "--resync-seconds", String(RESYNC_SECONDS)],
    // The malloc setting the image gives the daemon (Dockerfile): production's memory, not a bare node's.
    { stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, MALLOC_MMAP_THRESHOLD_: "131072" } },
  );
  let output = "";
  const keep = (chunk: Buffer): void => void (output = (output + chunk.toString("utf8")).slice(-2000));
  child.stdout?.on("data", keep);
  child.stderr?.on("data", keep);
  let exited: string | undefined;
  child.once("exit", (code, signal) => void (exited = `exited (${signal ?? code ?? "?"})`));
  const spawned = Date.now();
  const base = { sites: input.sites, resyncSeconds: RESYNC_SECONDS, idleResyncs: 0, readySeconds: 0, rssAtRestMb: null, rssIdleMaxMb: null, peakRssMb: null };
  const fail = (error: string): DaemonRss => ({ ...base, ok: false, error: `${error}${output ? `; daemon output: ${output.trim().slice(-400)}` : ""}` });
  try {
    const pid = child.pid;
    if (pid === undefined) return fail("the daemon did not start");
    while ((await httpGet("127.0.0.1", port, "/readyz", {}, 2_000).catch(() => ({ status: 0 }))).status !== 200) {
      if (exited) return fail(`the daemon ${exited} before it was ready`);
      if (Date.now() - spawned > input.timeoutMs) return fail(`not ready after ${input.timeoutMs / 1000} s`);
      await sleep(250);
    }
    const readySeconds = (Date.now() - spawned) / 1000;
    input.log(`daemon ready after ${readySeconds.toFixed(1)} s; ${IDLE_RESYNCS} idle resyncs`);
    const seen = new Set<string>();
    const first = await lastRun(port, token.headers);
    if (first) seen.add(first.at);
    let idleMax = 0;
    const deadline = Date.now() + (IDLE_RESYNCS + 2) * RESYNC_SECONDS * 1000 + input.timeoutMs;
    while (seen.size <= IDLE_RESYNCS) {
      if (exited) return fail(`the daemon ${exited} while idle`);
      if (Date.now() > deadline) return fail(`only ${seen.size - 1} resyncs seen`);
      idleMax = Math.max(idleMax, memory(pid).rssMb);
      const run = await lastRun(port, token.headers);
      if (run) {
        if (!run.ok) return fail(`a resync failed: ${run.error ?? "?"}`);
        seen.add(run.at);
      }
      await sleep(250);
    }
    // Half a period after the last resync: between two runs, which is where a daemon spends its time.
    await sleep((RESYNC_SECONDS * 1000) / 2);
    const rest = memory(pid);
    return { ...base, ok: true, readySeconds, idleResyncs: seen.size - 1, rssAtRestMb: rest.rssMb, rssIdleMaxMb: Math.max(idleMax, rest.rssMb), peakRssMb: rest.hwmMb };
  } catch (err) {
    return fail(err instanceof Error ? err.message : String(err));
  } finally {
    await stop(child);
  }
}

/** SIGTERM (the daemon finishes its run in flight), then SIGKILL if it does not exit. */
async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const gone = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  child.kill("SIGTERM");
  const timer = setTimeout(() => child.kill("SIGKILL"), 30_000);
  await gone;
  clearTimeout(timer);
}
