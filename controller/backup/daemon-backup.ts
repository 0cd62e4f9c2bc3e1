import type Docker from "dockerode";
import type { Registry } from "prom-client";
import type { DesiredState, ResourceSpec } from "../desired/types";
import { loadRegistryAuth } from "../engine/registry-auth";
import { createCronScheduler, CronEntryStatus } from "../jobs/cron";
import type { JobResult } from "../jobs/run-job";
import type { Logger } from "../log";
import { carryLastGood } from "../jobs/last-good";
import type { LoadResult, ResolvedCluster, ResolvedSite } from "../manifests/types";
import { createBackupMetrics } from "./metrics";
import { BackupRecord, readBackupRecord, recordBackup, updateBackupRecord } from "./record";
import { backupSite, BackupTarget, checkRepository } from "./run";
import { backupTarget } from "./target";
import { BACKUP_ENTRY, backupEntries, CHECK_ENTRY } from "./schedule";

/** A site's backups in GET /status: the schedule's runs (history, skips) and the persistent record. */
export interface SiteBackupStatus {
  readonly schedule: string;
  readonly backup: CronEntryStatus | null;
  readonly check: CronEntryStatus | null;
  readonly record: BackupRecord;
}

export interface DaemonBackups {
  /** After each reconcile: the sites as loaded (valid and invalid), the cluster and the desired state just applied, and its commit. */
  update(load: Pick<LoadResult, "sites" | "invalidSites">, cluster: ResolvedCluster, desired: DesiredState, commit: string): void;
  siteStatus(site: string): SiteBackupStatus | null;
  stop(): Promise<void>;
}

/** A site as it was last applied from a valid manifest: resolved, and its rendered objects (the secret names the swarm has). */
interface AppliedSite {
  readonly site: ResolvedSite;
  readonly rendered: readonly ResourceSpec[];
}

interface Scope {
  /** Per site, its last good state: an invalid manifest keeps the schedule it was applied with. */
  readonly sites: ReadonlyMap<string, AppliedSite>;
  readonly cluster: ResolvedCluster;
  readonly commit: string;
}

/**
 * Scheduled backups and checks on the daemon's cron machinery (createCronScheduler: no
 * overlap, history, skips), each run a restic job in the site's last good spec (an invalid
 * manifest keeps the backups it was applied with); every
 * result also goes to the state directory's record, which `simulium status` reads.
 */
export function startDaemonBackups(docker: Docker, registry: Registry, log: Logger, stateDir: string): DaemonBackups {
  let scope: Scope | undefined;
  const targetOf = async (site: string): Promise<BackupTarget> => {
    const s = scope?.sites.get(site);
    if (!scope || !s) throw new Error(`site ${site} is no longer scheduled`);
    const { cluster } = scope;
    // The rendered spec, not a fresh render: its secret names are the ones the swarm has.
    return backupTarget(s.site, cluster, s.rendered, stateDir, await loadRegistryAuth(cluster.registryAuth?.configFile));
  };
  const scheduler = createCronScheduler({
    log,
    metrics: createBackupMetrics(registry),
    run: async (entry): Promise<JobResult> => {
      const target = await targetOf(entry.site);
      const instance = target.cluster.instance;
      if (entry.name === CHECK_ENTRY) {
        const c = await checkRepository(docker, target, { timeoutSeconds: entry.timeout });
        updateBackupRecord(stateDir, instance, entry.site, { lastCheck: { at: c.checkedAt, ok: c.ok, message: c.message } });
        return { exitCode: c.ok ? 0 : 1, output: c.message };
      }
      const startedAt = new Date();
      const r = await backupSite(docker, target, { timeoutSeconds: entry.timeout, commit: scope?.commit }).catch((err: unknown) => {
        // A job that could not start or timed out is a failed backup too, for `simulium status`.
        const message = err instanceof Error ? err.message : String(err);
        const durationSeconds = (Date.now() - startedAt.getTime()) / 1000;
        recordBackup(stateDir, instance, entry.site, { startedAt: startedAt.toISOString(), ok: false, run: "", durationSeconds, exitCode: null, message, snapshots: [] });
        throw err;
      });
      recordBackup(stateDir, instance, entry.site, r);
      log.info({ site: entry.site, run: r.run, ok: r.ok, exitCode: r.exitCode, durationSeconds: r.durationSeconds }, "audit: scheduled backup ran");
      return { exitCode: r.exitCode, output: r.message };
    },
  });
  return {
    update(load, cluster, desired, commit) {
      const applied = new Map(load.sites.map((s) => [s.name, { site: s, rendered: desired.resources.filter((r) => r.site === s.name) }]));
      const sites = carryLastGood(scope?.sites ?? new Map<string, AppliedSite>(), applied, load.invalidSites);
      scope = { sites, cluster, commit };
      scheduler.replan(backupEntries([...sites.values()].map((s) => s.site), cluster), cluster.timeZone);
    },
    siteStatus(site) {
      const s = scope?.sites.get(site)?.site;
      if (!scope?.cluster.backup || !s?.backup) return null;
      const entries = scheduler.siteStatus(site);
      return {
        schedule: s.backup.schedule,
        backup: entries.find((e) => e.name === BACKUP_ENTRY) ?? null,
        check: entries.find((e) => e.name === CHECK_ENTRY) ?? null,
        record: readBackupRecord(stateDir, scope.cluster.instance, site),
      };
    },
    stop: () => scheduler.stop(),
  };
}
