import type { CronEntry } from "../jobs/cron-plan";
import type { ResolvedCluster, ResolvedSite } from "../manifests/types";

export const BACKUP_ENTRY = "backup";
export const CHECK_ENTRY = "check";
/** A scheduled backup or check that outlives this is stopped and counted failed. */
const JOB_TIMEOUT = 4 * 3600;

/**
 * What the daemon schedules for backups, as cron entries of the shared scheduler: per site
 * with `spec.backup`, the backup on its schedule and a `restic check` of its repository on
 * the cluster's check schedule. Never overlapping: a backup still going skips the next tick.
 * The command is descriptive only; the runner knows each entry by its name. Pure.
 */
export function backupEntries(sites: readonly ResolvedSite[], cluster: ResolvedCluster): CronEntry[] {
  const config = cluster.backup;
  if (!config) return [];
  return sites
    .filter((s) => !s.suspend && s.backup !== undefined)
    .flatMap((s) => [
      { site: s.name, name: BACKUP_ENTRY, schedule: s.backup?.schedule ?? "", command: ["simulium", "backup", s.name], timeout: JOB_TIMEOUT, allowOverlap: false },
      { site: s.name, name: CHECK_ENTRY, schedule: config.checkSchedule, command: ["restic", "check"], timeout: JOB_TIMEOUT, allowOverlap: false },
    ]);
}
