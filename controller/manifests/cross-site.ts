import { Issue, PathSegment, quote } from "./issue";

/** What the cross-site rules need of one site that passed its own checks. Plain data. */
export interface SiteClaims {
  readonly site: string;
  readonly file: string;
  /** Web domains and other host names routed to the site (phpMyAdmin's); `path` when not `spec.domains[i]`. */
  readonly domains: readonly { readonly name: string; readonly line: number; readonly column: number; readonly path?: readonly PathSegment[] }[];
  /** Host ports the site publishes (SFTP, SSH), with the field that sets each. */
  readonly ports?: readonly { readonly port: number; readonly path: readonly PathSegment[] }[];
  /** Where the name is set, when not `metadata.name` (an environment's: `spec.environments[i].name`). */
  readonly namePath?: readonly PathSegment[];
}

/**
 * Rules across sites: a site name and each domain belong to one site only, and no site takes a
 * reserved name (the instance's: its objects would be the instance's own). Sites are
 * taken in file-name order; the first keeps what it claims and each later site that
 * claims it again is rejected, so a conflicting pull request never takes a domain away
 * from a site already serving it. A rejected site claims nothing. Pure; the result is
 * keyed by the entries given.
 */
export function crossSiteIssues<T extends SiteClaims>(
  sites: readonly T[],
  reservedPorts: ReadonlyMap<number, string> = new Map(),
  reservedNames: ReadonlyMap<string, string> = new Map(),
): Map<T, Issue[]> {
  const ordered = [...sites].sort((a, b) => (a.file < b.file ? -1 : a.file > b.file ? 1 : 0));
  const names = new Map<string, SiteClaims>();
  const owners = new Map<string, { site: string; file: string; line: number; column: number }>();
  const portOwners = new Map<number, string>(reservedPorts);
  const rejected = new Map<T, Issue[]>();
  for (const s of ordered) {
    const issues: Issue[] = [];
    const sameName = names.get(s.site);
    if (sameName) issues.push({ path: s.namePath ?? ["metadata", "name"], message: `site ${quote(s.site)} is already defined in ${sameName.file}` });
    const reservedBy = reservedNames.get(s.site);
    if (reservedBy !== undefined) issues.push({ path: s.namePath ?? ["metadata", "name"], message: `site name ${quote(s.site)} is reserved: ${reservedBy}` });
    s.domains.forEach((d, i) => {
      const owner = owners.get(d.name);
      if (owner) {
        issues.push({
          path: d.path ?? ["spec", "domains", i],
          message: `${quote(d.name)} is already served by site ${quote(owner.site)} (${owner.file}:${owner.line}:${owner.column})`,
        });
      }
    });
    const own = new Set<number>();
    for (const p of s.ports ?? []) {
      // A host-mode port is bound on every node that runs the task: two services cannot share one.
      const owner = portOwners.get(p.port);
      if (owner) issues.push({ path: p.path, message: `port ${p.port} is already published by ${owner}` });
      else if (own.has(p.port)) issues.push({ path: p.path, message: `port ${p.port} is already published by another service of this site` });
      own.add(p.port);
    }
    if (issues.length > 0) {
      rejected.set(s, issues);
      continue;
    }
    names.set(s.site, s);
    for (const p of s.ports ?? []) portOwners.set(p.port, `site ${quote(s.site)} (${s.file})`);
    for (const d of s.domains) owners.set(d.name, { site: s.site, file: s.file, line: d.line, column: d.column });
  }
  return rejected;
}
