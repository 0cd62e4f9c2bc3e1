import { names } from "../desired/names";
import type { ResolvedBackupConfig } from "../manifests/types";

/** Where a tools job sees the cluster's backups volume; each site's repository is a directory in it. */
export const REPOSITORY_MOUNT = "/restic";
export const PASSWORD_LOGICAL = "restic-password";
export const ENV_LOGICAL_PREFIX = "restic-env-";

/** The cluster's backups volume (default repository location): never part of a site, never deleted by a reconcile. */
export function backupsVolumeName(instance: string): string {
  return names.volume(instance, "backups");
}

/** A site's own restic repository: one per site, so one site's `forget --prune` (an exclusive lock) never blocks another's backup. */
export function siteRepository(config: ResolvedBackupConfig, site: string): string {
  return "volume" in config.repository ? `${REPOSITORY_MOUNT}/${site}` : `${config.repository.url}/${site}`;
}
