import type Docker from "dockerode";
import type { Registry } from "prom-client";
import { loadRegistryAuth } from "../engine/registry-auth";
import type { Logger } from "../log";
import type { LoadResult, ResolvedCluster, ResolvedSite } from "../manifests/types";
import { createCronScheduler, CronEntryStatus } from "./cron";
import { createCronMetrics } from "./cron-metrics";
import { cronEntries } from "./cron-plan";
import { carryLastGood } from "./last-good";
import { runJob } from "./run-job";
import { jobKind, runningWebSpec } from "./site-web";

export interface DaemonCron {
  /** After each reconcile: the sites as loaded (valid and invalid) and the cluster in force. */
  update(load: Pick<LoadResult, "sites" | "invalidSites">, cluster: ResolvedCluster): void;
  siteStatus(site: string): CronEntryStatus[];
  stop(): Promise<void>;
}

/**
 * The scheduler fed by the reconcile loop. The schedule follows each site's last good
 * manifest (an invalid manifest leaves it as it was); each tick runs in the web service as
 * it runs at that moment, read from the engine: after a rolled-back or held update that is
 * the version that serves, whose code and database schema belong together.
 */
export function startDaemonCron(docker: Docker, registry: Registry, log: Logger): DaemonCron {
  let lastGood = new Map<string, ResolvedSite>();
  let registryAuthFile: string | undefined;
  let instance = "";
  const scheduler = createCronScheduler({
    log,
    metrics: createCronMetrics(registry),
    run: async (entry) => {
      const spec = await runningWebSpec(docker, instance, entry.site);
      const auth = await loadRegistryAuth(registryAuthFile);
      const image = spec.TaskTemplate?.ContainerSpec?.Image ?? "";
      return runJob(docker, { web: { kind: "running", spec }, command: entry.command, timeoutSeconds: entry.timeout, kind: jobKind("cron", entry.name, entry.site), auth: auth(image) });
    },
  });
  return {
    update(load, cluster) {
      lastGood = carryLastGood(lastGood, new Map(load.sites.map((s) => [s.name, s])), load.invalidSites);
      registryAuthFile = cluster.registryAuth?.configFile;
      instance = cluster.instance;
      scheduler.replan(cronEntries([...lastGood.values()]), cluster.timeZone);
    },
    siteStatus: (site) => scheduler.siteStatus(site),
    stop: () => scheduler.stop(),
  };
}
