import type { LoadResult, ResolvedCluster, ResolvedSite } from "./types";

/** simulium.yaml does not load: nothing is planned or changed until it is fixed. */
export class ClusterConfigError extends Error {}

/** The site a per-site command names is not a valid site of the repository. */
export class UnknownSiteError extends Error {}

/** The instance a command works on: --instance, else simulium.yaml's, else the default. */
export function effectiveCluster(load: LoadResult, instance: string | undefined): ResolvedCluster {
  if (!load.cluster) {
    throw new ClusterConfigError("simulium.yaml is invalid; nothing is planned or changed until it is fixed");
  }
  return instance ? { ...load.cluster, instance } : load.cluster;
}

/** The valid site of a loaded repository, or an UnknownSiteError that says why there is none. */
export function findSite(load: LoadResult, siteName: string, repo: string): ResolvedSite {
  const site = load.sites.find((s) => s.name === siteName);
  if (site) return site;
  const why = load.invalidSites.includes(siteName) ? "is invalid (simulium validate shows why)" : `has no manifest in ${repo}/sites`;
  throw new UnknownSiteError(`site ${siteName} ${why}`);
}
