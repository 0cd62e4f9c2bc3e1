import { renderSite } from "../desired/render";
import { loadRegistryAuth } from "../engine/registry-auth";
import { loadRepo } from "../manifests/load";
import { effectiveCluster } from "../reconcile/pipeline";
import { resolveStateDir } from "../routing/admin-secret";
import { backupConfigOf } from "./job";
import { generatedPasswordFor } from "./password";
import type { BackupTarget } from "./run";

export class UnknownSiteError extends Error {}

/** A site of the manifests repository as the backup commands need it; throws when backups are off or the site is unknown. */
export async function loadBackupTarget(opts: { repo: string; instance?: string; stateDir?: string }, siteName: string): Promise<BackupTarget> {
  const load = await loadRepo(opts.repo);
  const cluster = effectiveCluster(load, opts.instance);
  backupConfigOf(cluster);
  const site = load.sites.find((s) => s.name === siteName);
  if (!site) {
    const why = load.invalidSites.includes(siteName) ? "is invalid (simulium validate shows why)" : `has no manifest in ${opts.repo}/sites`;
    throw new UnknownSiteError(`site ${siteName} ${why}`);
  }
  const generated = generatedPasswordFor(cluster, resolveStateDir(opts.stateDir));
  const image = cluster.backup?.image ?? "";
  const auth = (await loadRegistryAuth(cluster.registryAuth?.configFile))(image);
  return { site, cluster, rendered: renderSite(site, cluster), ...(generated ? { generated } : {}), ...(auth ? { auth } : {}) };
}
