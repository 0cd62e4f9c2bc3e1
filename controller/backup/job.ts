import type { ResourceSpec, ServiceSpec } from "../desired/types";
import { toolsJobSpec } from "../jobs/tools-job";
import type { ResolvedBackupConfig, ResolvedCluster, ResolvedSite } from "../manifests/types";
import { backupsVolumeName, ENV_LOGICAL_PREFIX, PASSWORD_LOGICAL, REPOSITORY_MOUNT, siteRepository } from "./names";
import { backupSecrets, GeneratedPasswordRef } from "./resources";

export class BackupsDisabledError extends Error {
  constructor() {
    super("backups are not enabled: set spec.backup.image in simulium.yaml (the tools image with restic) and apply");
  }
}

/** Backups' settings of a cluster, or the error that says how to turn them on. */
export function backupConfigOf(cluster: ResolvedCluster): ResolvedBackupConfig {
  if (!cluster.backup) throw new BackupsDisabledError();
  return cluster.backup;
}

/**
 * The tools job of a site with restic wired in: the site's repository (in the backups volume,
 * or a URL), the password and the sealed environment as secret files. Pure.
 */
export function resticJobSpec(
  site: ResolvedSite,
  rendered: readonly ResourceSpec[],
  cluster: ResolvedCluster,
  generated: GeneratedPasswordRef | undefined,
  opts: { readonly volumesWritable: boolean; readonly env?: Readonly<Record<string, string>> },
): ServiceSpec {
  const config = backupConfigOf(cluster);
  const secrets = backupSecrets(cluster.instance, config, generated);
  const envNames = secrets.filter((s) => s.logicalName.startsWith(ENV_LOGICAL_PREFIX)).map((s) => s.logicalName.slice(ENV_LOGICAL_PREFIX.length));
  return toolsJobSpec(site, rendered, {
    image: config.image,
    volumesWritable: opts.volumesWritable,
    extraMounts: "volume" in config.repository ? [{ source: backupsVolumeName(cluster.instance), target: REPOSITORY_MOUNT, readOnly: false }] : [],
    extraSecrets: secrets.map((s) => ({ secretName: s.name, target: s.logicalName })),
    env: {
      RESTIC_REPOSITORY: siteRepository(config, site.name),
      RESTIC_PASSWORD_FILE: `/run/secrets/${PASSWORD_LOGICAL}`,
      RESTIC_ENV_NAMES: envNames.join(" "),
      ...opts.env,
    },
  });
}
