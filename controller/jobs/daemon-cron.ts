import type Docker from "dockerode";
import type { Registry } from "prom-client";
import type { DesiredState, ServiceSpec } from "../desired/types";
import { loadRegistryAuth } from "../engine/registry-auth";
import type { Logger } from "../log";
import type { ResolvedCluster, ResolvedSite } from "../manifests/types";
import { createCronScheduler, CronEntryStatus } from "./cron";
import { createCronMetrics } from "./cron-metrics";
import { cronEntries } from "./cron-plan";
import { KnownSecret, redactKnown, siteSecretValues } from "./redact-output";
import { runJob } from "./run-job";
import { jobKind } from "./site-web";

export interface DaemonCron {
  /**
   * After each reconcile: the sites as loaded, the cluster in force, what was rendered from
   * them, and the secret values the controller knows (by Swarm name), to redact run output.
   */
  update(sites: readonly ResolvedSite[], cluster: ResolvedCluster, desired: DesiredState, secretValue?: (swarmName: string) => Buffer | undefined): void;
  siteStatus(site: string): CronEntryStatus[];
  stop(): Promise<void>;
}

/** The scheduler fed by the reconcile loop; each tick runs in the web spec of the last reconcile. */
export function startDaemonCron(docker: Docker, registry: Registry, log: Logger): DaemonCron {
  let webs = new Map<string, ServiceSpec>();
  let registryAuthFile: string | undefined;
  // A run's output tail is kept for /status and logged on failure: known secret values go first.
  let known: (site: string) => KnownSecret[] = () => [];
  const scheduler = createCronScheduler({
    log,
    metrics: createCronMetrics(registry),
    run: async (entry) => {
      const web = webs.get(entry.site);
      if (!web) throw new Error(`site ${entry.site} is no longer scheduled`);
      const auth = await loadRegistryAuth(registryAuthFile);
      const r = await runJob(docker, { web, command: entry.command, timeoutSeconds: entry.timeout, kind: jobKind("cron", entry.name, entry.site), auth: auth(web.shape.image) });
      return { ...r, output: redactKnown(r.output, known(entry.site)) };
    },
  });
  return {
    update(sites, cluster, desired, secretValue) {
      known = secretValue ? siteSecretValues(desired, secretValue) : () => [];
      const active = sites.filter((s) => !s.suspend);
      // The rendered spec, not a fresh render: its secret names are the ones the swarm has.
      webs = new Map(desired.resources.flatMap((r) => (r.kind === "service" && r.role === "web" && r.site !== null ? [[r.site, r] as const] : [])));
      registryAuthFile = cluster.registryAuth?.configFile;
      scheduler.replan(cronEntries(active), cluster.timeZone);
    },
    siteStatus: (site) => scheduler.siteStatus(site),
    stop: () => scheduler.stop(),
  };
}
