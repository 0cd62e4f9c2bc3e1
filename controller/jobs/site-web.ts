import type { SitePin } from "../desired/placement";
import { renderSite } from "../desired/render";
import type { ServiceSpec } from "../desired/types";
import type { ResolvedCluster, ResolvedSite } from "../manifests/types";

/**
 * The site's web service as the reconcile renders it: the environment every job of the site
 * runs in, on the node its data is pinned to (live/read.ts readSitePin) when it has one.
 */
export function siteWebSpec(site: ResolvedSite, cluster: ResolvedCluster, pin?: SitePin): ServiceSpec {
  const web = renderSite(site, cluster, pin).find((r): r is ServiceSpec => r.kind === "service" && r.role === "web");
  if (!web) throw new Error(`internal: site ${site.name} has no web service`);
  return web;
}

/** A job service name's middle part: long site and entry names must still fit Swarm's 63 characters. */
export function jobKind(prefix: string, name: string, site: string): string {
  return `${prefix}-${name}`.slice(0, Math.max(prefix.length, 63 - site.length - 1 - 7));
}
