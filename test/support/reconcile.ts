import type Docker from "dockerode";
import pino from "pino";
import { loadRepo } from "../../controller/manifests/load";
import { readVarnishSecret } from "../../controller/routing/admin-secret";
import { RoutingResult, syncRoutingNow } from "../../controller/routing/sync";
import { FeatureOptions, reconcile, Reconciled } from "../../controller/features";
import type { ReconcileOptions } from "../../controller/reconcile/reconcile";
import { execInService, waitFor } from "./swarm";

export const quietLog = pino({ level: process.env.SIMULIUM_TEST_LOG ?? "silent" });

export function reconcileRepo(docker: Docker, dir: string, commit: string, extra: Partial<ReconcileOptions & FeatureOptions> = {}): Promise<Reconciled> {
  return reconcile(docker, dir, { commit, log: quietLog, pollMs: 500, ...extra });
}

/** A routing-only sync of the repository's manifests, as the daemon runs on task events. */
export async function syncLikeTheDaemon(docker: Docker, repoDir: string, stateDir: string, instance: string): Promise<RoutingResult> {
  const load = await loadRepo(repoDir);
  if (!load.cluster) throw new Error("cluster invalid");
  return syncRoutingNow(docker, {
    cluster: load.cluster,
    sites: load.sites,
    invalidSites: load.invalidSites,
    secret: readVarnishSecret(stateDir, instance),
    log: quietLog,
  });
}

/** The page the web image serves, fetched from inside the service's running container. */
export async function page(docker: Docker, service: string): Promise<string> {
  const r = await execInService(docker, service, ["curl", "-fsS", "--max-time", "5", "http://127.0.0.1/"]);
  if (r.exitCode !== 0) throw new Error(`curl in ${service} exited ${r.exitCode}: ${r.output}`);
  return r.output;
}

export function waitForPage(docker: Docker, service: string, pattern: RegExp, timeoutMs = 120_000): Promise<string> {
  return waitFor(async () => {
    const text = await page(docker, service);
    return pattern.test(text) ? text : undefined;
  }, `${service} to serve ${pattern}`, timeoutMs);
}
