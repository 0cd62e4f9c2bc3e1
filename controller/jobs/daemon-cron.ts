import type Docker from "dockerode";
import type { Registry } from "prom-client";
import { LABEL } from "../desired/labels";
import { names } from "../desired/names";
import type { ApiService } from "../engine/api-types";
import { engineStatus } from "../engine/docker";
import { loadRegistryAuth } from "../engine/registry-auth";
import type { Logger } from "../log";
import type { LoadResult, ResolvedCluster, ResolvedSite } from "../manifests/types";
import { createCronScheduler, CronEntryStatus } from "./cron";
import { createCronMetrics } from "./cron-metrics";
import { cronEntries } from "./cron-plan";
import { carryLastGood } from "./last-good";
import { JobError, runJob } from "./run-job";
import { jobKind } from "./site-web";

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
      const spec = await runningWeb(docker, instance, entry.site);
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

/** The site's web service spec as the engine has it now; only this instance's. */
async function runningWeb(docker: Docker, instance: string, site: string): Promise<NonNullable<ApiService["Spec"]>> {
  const name = names.service(site, "web");
  try {
    const service = (await docker.getService(name).inspect()) as ApiService;
    if (!service.Spec || service.Spec.Labels?.[LABEL.instance] !== instance) throw new JobError(`service ${name} is not instance ${instance}'s`);
    return service.Spec;
  } catch (err) {
    if (engineStatus(err) === 404) throw new JobError(`service ${name} does not exist: the site is not applied`);
    throw err;
  }
}
