import { Issue, quote } from "./issue";

/** What the cross-site rules need of one site that passed its own checks. Plain data. */
export interface SiteClaims {
  readonly site: string;
  readonly file: string;
  readonly domains: readonly { readonly name: string; readonly line: number; readonly column: number }[];
}

/**
 * Rules across sites: a site name and each domain belong to one site only. Sites are
 * taken in file-name order; the first keeps what it claims and each later site that
 * claims it again is rejected, so a conflicting pull request never takes a domain away
 * from a site already serving it. A rejected site claims nothing. Pure; the result is
 * keyed by the entries given.
 */
export function crossSiteIssues<T extends SiteClaims>(sites: readonly T[]): Map<T, Issue[]> {
  const ordered = [...sites].sort((a, b) => (a.file < b.file ? -1 : a.file > b.file ? 1 : 0));
  const names = new Map<string, SiteClaims>();
  const owners = new Map<string, { site: string; file: string; line: number; column: number }>();
  const rejected = new Map<T, Issue[]>();
  for (const s of ordered) {
    const issues: Issue[] = [];
    const sameName = names.get(s.site);
    if (sameName) issues.push({ path: ["metadata", "name"], message: `site ${quote(s.site)} is already defined in ${sameName.file}` });
    s.domains.forEach((d, i) => {
      const owner = owners.get(d.name);
      if (owner) {
        issues.push({
          path: ["spec", "domains", i],
          message: `${quote(d.name)} is already served by site ${quote(owner.site)} (${owner.file}:${owner.line}:${owner.column})`,
        });
      }
    });
    if (issues.length > 0) {
      rejected.set(s, issues);
      continue;
    }
    names.set(s.site, s);
    for (const d of s.domains) owners.set(d.name, { site: s.site, file: s.file, line: d.line, column: d.column });
  }
  return rejected;
}
