import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import type Docker from "dockerode";
import pino from "pino";
import { RunningDaemon, startDaemon } from "../controller/daemon/daemon";
import type { RepoFile } from "../controller/manifests/read";
import { clusterYaml, siteYaml } from "../test/support/manifests";
import { freePort, httpGet } from "../test/harness";
import type { ConcurrentServeResult } from "./concurrent-types";
import { createForge, Forge } from "./forge";
import { showsVersion } from "./serve-pick";

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
/** BENCH_CONCURRENT_LOG=<file>: the daemon's log of figure 8 there, to see where a figure's time went. */
const daemonLog = process.env.BENCH_CONCURRENT_LOG ? pino({ level: "info" }, pino.destination(process.env.BENCH_CONCURRENT_LOG)) : pino({ level: "silent" });
/** The product's default (schemas/cluster.schema.json update.monitorSeconds). */
const MONITOR_SECONDS = 15;

const siteFile = (site: string, version: number): RepoFile => ({ path: `sites/${site}.yaml`, text: siteYaml(site, { version: String(version), volumes: false, replicas: 1 }) });

async function serving(port: number, site: string, version: number, timeoutMs: number): Promise<number> {
  const start = Date.now();
  let last = "";
  while (Date.now() - start < timeoutMs) {
    try {
      const r = await httpGet("127.0.0.1", port, "/", { Host: `${site}.test` }, 2_000);
      if (r.status === 200 && showsVersion(r.body, String(version))) return Date.now();
      last = `status ${r.status}`;
    } catch (err) {
      last = err instanceof Error ? err.message : String(err);
    }
    await sleep(50);
  }
  throw new Error(`${site} version ${version} not served after ${timeoutMs / 1000} s (last: ${last})`);
}

/**
 * Figure 8: the daemon (git source, webhook only, as figure 3) with `sites` web-only sites.
 * Commit→serving of site B idle, then with site A's update pushed just before (A's run is in
 * Swarm's update monitor when B's push arrives), `repeat` times each.
 */
export async function concurrentServe(docker: Docker, instance: string, opts: { sites: number; repeat: number; timeoutMs: number; log: (m: string) => void }): Promise<ConcurrentServeResult> {
  const root = mkdtempSync(path.join(os.tmpdir(), "simulium-bench-conc-"));
  const forge: Forge = createForge(root);
  const port = await freePort();
  const names = Array.from({ length: Math.max(2, opts.sites) }, (_, i) => `${instance}-s${i}`);
  const [a, b] = [names[0] as string, names[1] as string];
  const versions = new Map(names.map((n) => [n, 1]));
  const cluster = clusterYaml(instance, `  varnish: {image: "simulium/varnish:local", port: ${port}}\n`).replace(/ {2}update: .*\n/, "");
  forge.commit([{ path: "simulium.yaml", text: cluster }, ...names.map((n) => siteFile(n, 1))], "sites");
  const idle: number[] = [];
  const idleUpdate: number[] = [];
  const duringUpdate: number[] = [];
  /** When Swarm started the service's last update, after `since` (ms). */
  const updateStarted = async (site: string, since: number): Promise<number> => {
    const s = (await docker.getService(`${site}_web`).inspect()) as { UpdateStatus?: { StartedAt?: string } };
    const at = Date.parse(s.UpdateStatus?.StartedAt ?? "");
    if (!Number.isFinite(at) || at < since - 1000) throw new Error(`${site}: no update started after the push`);
    return (at - since) / 1000;
  };
  const during: number[] = [];
  const aStill: boolean[] = [];
  const aSeconds: number[] = [];
  let daemon: RunningDaemon | undefined;
  const base = { sites: names.length, monitorSeconds: MONITOR_SECONDS };
  try {
    daemon = await startDaemon({ repo: forge.url, branch: "main", stateDir: path.join(root, "state"), listen: { host: "127.0.0.1", port: 0 }, webhookSecretFile: forge.secretFile, pollSeconds: 3600, resyncSeconds: 3600, log: daemonLog, docker });
    const d = daemon;
    await d.idle();
    for (const n of names) await serving(port, n, 1, opts.timeoutMs);
    const push = async (site: string): Promise<{ start: number; version: number }> => {
      const version = (versions.get(site) ?? 1) + 1;
      versions.set(site, version);
      const start = Date.now();
      forge.commit([siteFile(site, version)], `${site}: version ${version}`);
      const status = await forge.announce(d.port);
      if (status !== 202) throw new Error(`webhook answered ${status}`);
      return { start, version };
    };
    for (let i = 0; i < opts.repeat; i++) {
      const pb = await push(b);
      idle.push(((await serving(port, b, pb.version, opts.timeoutMs)) - pb.start) / 1000);
      idleUpdate.push(await updateStarted(b, pb.start));
      await d.idle();
      opts.log(`B idle: ${idle.at(-1)?.toFixed(2)} s (update started after ${idleUpdate.at(-1)?.toFixed(2)} s)`);
      const pa = await push(a);
      // A's run has planned and is applying when B's push arrives.
      for (let t = 0; t < 600 && !d.status().runs.some((r) => r.sites.includes(a)); t++) await sleep(50);
      const pb2 = await push(b);
      const aServed = serving(port, a, pa.version, opts.timeoutMs);
      during.push(((await serving(port, b, pb2.version, opts.timeoutMs)) - pb2.start) / 1000);
      aStill.push(d.status().runs.some((r) => r.sites.includes(a)));
      duringUpdate.push(await updateStarted(b, pb2.start));
      aSeconds.push(((await aServed) - pa.start) / 1000);
      await d.idle();
      opts.log(`B during A's rollout: ${during.at(-1)?.toFixed(2)} s (update started after ${duringUpdate.at(-1)?.toFixed(2)} s; A still rolling: ${aStill.at(-1)}; A served after ${aSeconds.at(-1)?.toFixed(2)} s)`);
    }
    return { ...base, idleSeconds: idle, duringSeconds: during, idleUpdateSeconds: idleUpdate, duringUpdateSeconds: duringUpdate, aStillRolling: aStill, aSeconds, ok: true, loadAverage: os.loadavg() };
  } catch (err) {
    return { ...base, idleSeconds: idle, duringSeconds: during, idleUpdateSeconds: idleUpdate, duringUpdateSeconds: duringUpdate, aStillRolling: aStill, aSeconds, ok: false, error: err instanceof Error ? err.message : String(err), loadAverage: os.loadavg() };
  } finally {
    await daemon?.stop();
    rmSync(root, { recursive: true, force: true });
  }
}
