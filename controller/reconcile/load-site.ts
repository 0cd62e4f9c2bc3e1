import { loadRepo } from "../manifests/load";
import type { LoadResult, ResolvedCluster, ResolvedSite } from "../manifests/types";
import { effectiveCluster } from "./pipeline";

/** The site a per-site command names is not a valid site of the repository. */
export class UnknownSiteError extends Error {}

/**
 * The valid site a per-site command works on, with the cluster in force; an error that says
 * why there is none (invalid manifest, or no manifest at all).
 */
export async function loadSite(repo: string, siteName: string, instance?: string): Promise<{ site: ResolvedSite; cluster: ResolvedCluster }> {
  const load = await loadRepo(repo);
  const cluster = effectiveCluster(load, instance);
  return { site: findSite(load, siteName, repo), cluster };
}

/** The valid site of a loaded repository, or an UnknownSiteError that says why there is none. */
export function findSite(load: LoadResult, siteName: string, repo: string): ResolvedSite {
  const site = load.sites.find((s) => s.name === siteName);
  if (site) return site;
  const why = load.invalidSites.includes(siteName) ? "is invalid (simulium validate shows why)" : `has no manifest in ${repo}/sites`;
  throw new UnknownSiteError(`site ${siteName} ${why}`);
}
