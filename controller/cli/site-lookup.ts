import { loadRepo } from "../manifests/load";
import type { ResolvedCluster, ResolvedSite } from "../manifests/types";
import { effectiveCluster } from "../reconcile/pipeline";

/**
 * The valid site a per-site command works on, with the cluster in force; an error that says
 * why there is none (invalid manifest, or no manifest at all).
 */
export async function loadSite(repo: string, siteName: string, instance?: string): Promise<{ site: ResolvedSite; cluster: ResolvedCluster }> {
  const load = await loadRepo(repo);
  const cluster = effectiveCluster(load, instance);
  const site = load.sites.find((s) => s.name === siteName);
  if (!site) {
    const why = load.invalidSites.includes(siteName) ? "is invalid (simulium validate shows why)" : `has no manifest in ${repo}/sites`;
    throw new Error(`site ${siteName} ${why}`);
  }
  return { site, cluster };
}
