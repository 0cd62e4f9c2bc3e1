import { covers } from "../manifests/wildcard";

/**
 * The names a site's certificate covers and how each is validated (docs/tls.md, "DNS-01").
 * Pure: renew.ts orders them, tls-watch.ts measures the served certificate for them.
 */
export type Challenge = "http-01" | "dns-01";

/** The certificate's names: the site's wildcards, then its domains that no wildcard covers; sorted, no duplicates. */
export function certificateNames(domains: readonly string[], wildcards: readonly string[] = []): string[] {
  const rest = domains.filter((d) => !wildcards.some((w) => covers(w, d)));
  return [...new Set([...wildcards, ...rest])].sort();
}

/** How a name is validated: a wildcard only by DNS-01 (HTTP-01 cannot prove a whole zone); any other by the site's choice. */
export function challengeOf(name: string, site: Challenge): Challenge {
  return name.startsWith("*.") ? "dns-01" : site;
}

/** The hosts of `domains` a certificate with these names serves: what a TLS probe can measure (a wildcard itself is no host). */
export function servedHosts(domains: readonly string[], names: readonly string[]): string[] {
  return domains.filter((d) => names.some((n) => covers(n, d)));
}
