import { loadRepo } from "../manifests/load";
import { effectiveCluster, findSite } from "../manifests/select";
import type { ResolvedCluster, ResolvedSite } from "../manifests/types";

export { findSite, UnknownSiteError } from "../manifests/select";

/**
 * The valid site a per-site command works on, with the cluster in force; an error that says
 * why there is none (invalid manifest, or no manifest at all).
 */
export async function loadSite(repo: string, siteName: string, instance?: string): Promise<{ site: ResolvedSite; cluster: ResolvedCluster }> {
  const load = await loadRepo(repo);
  const cluster = effectiveCluster(load, instance);
  return { site: findSite(load, siteName, repo), cluster };
}
