import type Docker from "dockerode";
import pino from "pino";
import { startDaemon } from "../controller/daemon/daemon";
import type { RepoFile } from "../controller/manifests/read";
import { siteYaml } from "../test/support/manifests";
import { page } from "../test/support/reconcile";
import { httpGet } from "../test/harness/http";
import type { Forge } from "./forge";
import type { ServePass } from "./serve-types";
import { showsVersion } from "./serve-pick";

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const PROBE_GAP_MS = 50;
/** BENCH_SERVE_LOG=<file>: the daemon's log of figure 3 (debug level) there, with a line at each commit, to see where its time went. */
const daemonLog = process.env.BENCH_SERVE_LOG ? pino({ level: "debug" }, pino.destination({ dest: process.env.BENCH_SERVE_LOG, append: true, sync: true })) : pino({ level: "silent" });

/** The changed manifest: the same site, web env SITE_VERSION=2 (synthetic sites run version 1). */
export const changedSiteFile = (site: string): RepoFile => ({ path: `sites/${site}.yaml`, text: siteYaml(site, { version: "2", database: true }) });

/** Probes every ~50 ms until `probe` sees the version; bounded by `timeoutMs`. */
async function firstServing(probe: () => Promise<string>, version: string, timeoutMs: number, start: bigint): Promise<{ seconds: number; probes: number } | { error: string; probes: number }> {
  let probes = 0;
  let last = "no answer yet";
  const elapsed = (): number => Number(process.hrtime.bigint() - start) / 1e9;
  while (elapsed() * 1000 < timeoutMs) {
    probes++;
    try {
      const body = await probe();
      if (showsVersion(body, version)) return { seconds: elapsed(), probes };
      last = body.split("\n").find((l) => l.startsWith("version:")) ?? body.slice(0, 80);
    } catch (err) {
      // A task being replaced, or Varnish between two VCLs, is the state being measured.
      last = err instanceof Error ? err.message : String(err);
    }
    await sleep(PROBE_GAP_MS);
  }
  return { error: `version ${version} not served after ${Math.round(timeoutMs / 1000)} s (last: ${last})`, probes };
}

const viaVarnish = (port: number, site: string, host = "127.0.0.1") => async (): Promise<string> => {
  const r = await httpGet(host, port, "/", { Host: `${site}.test` }, 2_000);
  if (r.status !== 200) throw new Error(`Varnish answered ${r.status}`);
  return r.body;
};

export interface DaemonServeInput {
  readonly docker: Docker;
  readonly forge: Forge;
  readonly stateDir: string;
  readonly varnishPort: number;
  /** Rewrites the changed manifest as the contender's repository is (bench/contenders.ts Shape). */
  readonly rewrite?: (files: RepoFile[]) => RepoFile[];
  /** Where Varnish answers: loopback on one node; every node's address on a cluster (the change serves when all show it). */
  readonly varnishHosts?: readonly string[];
  readonly site: string;
  readonly timeoutMs: number;
  readonly log: (msg: string) => void;
}

/**
 * simulium's path: the daemon (in process, git source, webhook only) already converged to the
 * forge's head; one site's manifest changes, is pushed and announced, and Varnish is probed.
 */
export async function serveThroughDaemon(input: DaemonServeInput): Promise<ServePass> {
  const daemon = await startDaemon({
    repo: input.forge.url,
    branch: "main",
    stateDir: input.stateDir,
    listen: { host: "127.0.0.1", port: 0 },
    webhookSecretFile: input.forge.secretFile,
    // Only the webhook triggers a run, so the figure is the push under test and nothing else.
    pollSeconds: 3600,
    resyncSeconds: 3600,
    log: daemonLog,
    docker: input.docker,
  });
  const base = { changedSite: input.site, via: "varnish" as const };
  try {
    await daemon.idle();
    const hosts = input.varnishHosts ?? ["127.0.0.1"];
    const probes = hosts.map((h) => viaVarnish(input.varnishPort, input.site, h));
    const before = process.hrtime.bigint();
    const ready = await Promise.all(probes.map((p) => firstServing(p, "1", input.timeoutMs, before)));
    const notReady = ready.findIndex((r) => "error" in r);
    if (notReady >= 0) {
      const r = ready[notReady] as { error: string; probes: number };
      return { ...base, ok: false, seconds: 0, probes: r.probes, error: `before the change, on ${hosts[notReady] ?? "?"}: ${r.error}` };
    }
    input.log(`daemon serves ${input.site} through Varnish on ${hosts.join(", ")}; committing the change`);
    daemonLog.info({ site: input.site }, "bench: committing the change");
    const start = process.hrtime.bigint();
    input.forge.commit((input.rewrite ?? ((f: RepoFile[]) => f))([changedSiteFile(input.site)]), `${input.site}: version 2`);
    const accepted = await input.forge.announce(daemon.port);
    if (accepted !== 202) return { ...base, ok: false, seconds: 0, probes: 0, error: `webhook answered ${accepted}` };
    // Each host probed on its own: the figure is the last one to serve the change.
    const served = await Promise.all(probes.map((p) => firstServing(p, "2", input.timeoutMs, start)));
    const failed = served.findIndex((r) => "error" in r);
    const total = served.reduce((n, r) => n + r.probes, 0);
    if (failed >= 0) return { ...base, ok: false, seconds: 0, probes: total, error: `on ${hosts[failed] ?? "?"}: ${(served[failed] as { error: string }).error}` };
    const seconds = served.map((r) => ("seconds" in r ? r.seconds : 0));
    daemonLog.info({ site: input.site, seconds }, "bench: served");
    return { ...base, ok: true, seconds: Math.max(...seconds), probes: total, ...(hosts.length > 1 ? { perHost: Object.fromEntries(hosts.map((h, i) => [h, seconds[i] ?? 0])) } : {}) };
  } finally {
    // Stopped before the instance is removed: its routing watch would otherwise react to the removal.
    await daemon.stop();
  }
}

export interface StackServeInput {
  readonly docker: Docker;
  readonly site: string;
  readonly loopPosition: number;
  /** Rewrites the changed site's compose file. */
  readonly change: () => void;
  /** `docker stack deploy` over every stack, in order. */
  readonly deployAll: () => Promise<unknown>;
  readonly timeoutMs: number;
  /** Reads the site's page inside a web task; default: by exec through `docker` (a task on its node). */
  readonly page?: (service: string) => Promise<string>;
}

/**
 * The baseline: the operator edits the site's compose file and re-runs the loop over all
 * stacks. The page is read from inside the site's web task (there is no simulium Varnish),
 * probing from the start, concurrently with the loop.
 */
export async function serveThroughStackDeploy(input: StackServeInput): Promise<ServePass> {
  const base = { changedSite: input.site, loopPosition: input.loopPosition, via: "exec" as const };
  input.change();
  const start = process.hrtime.bigint();
  let loopSeconds: number | undefined;
  let loopError: string | undefined;
  const loop = input.deployAll().then(
    () => void (loopSeconds = Number(process.hrtime.bigint() - start) / 1e9),
    (err: unknown) => void (loopError = err instanceof Error ? err.message : String(err)),
  );
  const read = input.page ?? ((service: string) => page(input.docker, service));
  const served = await firstServing(() => read(`${input.site}_web`), "2", input.timeoutMs, start);
  await loop;
  const tail = { ...(loopSeconds === undefined ? {} : { loopSeconds }), ...(loopError === undefined ? {} : { error: loopError }) };
  if ("error" in served) return { ...base, ok: false, seconds: 0, probes: served.probes, ...tail, error: loopError ?? served.error };
  return { ...base, ok: loopError === undefined, ...served, ...tail };
}
