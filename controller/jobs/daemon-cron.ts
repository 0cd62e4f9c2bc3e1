import type Docker from "dockerode";
import type { Registry } from "prom-client";
import { loadRegistryAuth } from "../engine/registry-auth";
import type { Logger } from "../log";
import type { DesiredState } from "../desired/types";
import { activeHold } from "../plan/maintenance";
import type { LoadResult, ResolvedCluster, ResolvedSite } from "../manifests/types";
import { createCronScheduler, CronEntryStatus } from "./cron";
import { createCronMetrics } from "./cron-metrics";
import { cronEntries } from "./cron-plan";
import { carryLastGood } from "./last-good";
import { KnownSecret, redactKnown, siteSecretValues } from "./redact-output";
import { runJob } from "./run-job";
import { jobKind, runningWebSpec } from "./site-web";

export interface DaemonCron {
  /**
   * After each reconcile: the sites as loaded (valid and invalid), the cluster in force, what
   * was rendered from them, and the secret values the controller knows (by Swarm name), to
   * redact run output.
   */
  update(load: Pick<LoadResult, "sites" | "invalidSites">, cluster: ResolvedCluster, desired: DesiredState, secretValue?: (swarmName: string) => Buffer | undefined): void;
  siteStatus(site: string): CronEntryStatus[];
  stop(): Promise<void>;
}

/**
 * The scheduler fed by the reconcile loop. The schedule follows each site's last good
 * manifest (an invalid manifest leaves it as it was); each tick runs in the web service as
 * it runs at that moment, read from the engine: after a rolled-back or held update that is
 * the version that serves, whose code and database schema belong together.
 */
/** What a site's crons run from while its manifest is invalid: the last valid one's. */
interface LastGood {
  readonly site: ResolvedSite;
  readonly known: (site: string) => KnownSecret[];
}

export function startDaemonCron(docker: Docker, registry: Registry, log: Logger): DaemonCron {
  let lastGood = new Map<string, LastGood>();
  let registryAuthFile: string | undefined;
  let instance = "";
  const scheduler = createCronScheduler({
    log,
    metrics: createCronMetrics(registry),
    held: async (entry) => {
      const spec = await runningWebSpec(docker, instance, entry.site);
      return activeHold(spec.Labels ?? {}, Date.now())?.what;
    },
    run: async (entry) => {
      const spec = await runningWebSpec(docker, instance, entry.site);
      const auth = await loadRegistryAuth(registryAuthFile);
      const image = spec.TaskTemplate?.ContainerSpec?.Image ?? "";
      const r = await runJob(docker, { web: { kind: "running", spec }, command: entry.command, timeoutSeconds: entry.timeout, kind: jobKind("cron", entry.name, entry.site), auth: auth(image) });
      // A run's output tail is kept for /status and logged on failure: known secret values go first.
      return { ...r, output: redactKnown(r.output, lastGood.get(entry.site)?.known(entry.site) ?? []) };
    },
  });
  return {
    update(load, cluster, desired, secretValue) {
      // One lookup per pass, shared by its sites: an invalid site keeps the one of its last good pass.
      const known = secretValue ? siteSecretValues(desired, secretValue) : () => [];
      lastGood = carryLastGood(lastGood, new Map(load.sites.map((site) => [site.name, { site, known }])), load.invalidSites);
      registryAuthFile = cluster.registryAuth?.configFile;
      instance = cluster.instance;
      scheduler.replan(cronEntries([...lastGood.values()].map((g) => g.site)), cluster.timeZone);
    },
    siteStatus: (site) => scheduler.siteStatus(site),
    stop: () => scheduler.stop(),
  };
}
