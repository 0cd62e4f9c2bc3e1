import { accessClaims } from "./access-claims";
import { clusterRules } from "./cluster-rules";
import { crossSiteIssues, SiteClaims } from "./cross-site";
import { deriveEnvironments } from "./environments";
import { Issue, quote } from "./issue";
import { LastResult } from "./last-result";
import { CLUSTER_FILE, SITES_DIR, siteOfPath } from "./layout";
import { parseManifest, ParsedManifest } from "./parse";
import { readRepo, RepoFile } from "./read";
import { locateSealed } from "./sealed-position";
import { resolveCluster, resolveSite } from "./resolve";
import type { ClusterDefaults } from "./types";
import { checkClusterSchema, checkSiteSchema } from "./schema";
import { siteRules } from "./site-rules";
import type { Cluster, LoadResult, ManifestError, ResolvedSite } from "./types";

/** Past this many, the rest of a file's problems are summarised (allErrors on a hostile file). */
export const MAX_ERRORS_PER_FILE = 50;

/** Reads and checks a manifests repository. Never throws for a problem in the repository. */
export async function loadRepo(dir: string): Promise<LoadResult> {
  const read = await readRepo(dir);
  return loadFiles(read.files, read.errors);
}

/**
 * The pure core of loading: file texts (and the read edge's errors) → valid resolved sites,
 * invalid site names and located errors. A problem in one site excludes only that site;
 * a problem in simulium.yaml or the repository layout leaves `cluster` undefined.
 */
export function loadFiles(files: readonly RepoFile[], readErrors: readonly ManifestError[] = []): LoadResult {
  const errors: ManifestError[] = [...readErrors];
  const invalid = new Set<string>(readErrors.flatMap((e) => (e.site ? [e.site] : [])));
  let clusterBroken = readErrors.some((e) => e.file === CLUSTER_FILE || e.file === SITES_DIR || e.file === ".");

  const clusterFile = files.find((f) => f.path === CLUSTER_FILE);
  const cluster = clusterFile ? clusterChecks.get(clusterFile.path, clusterFile.text, () => checkCluster(clusterFile)) : { ok: true as const, value: undefined };
  if (!cluster.ok) {
    errors.push(...cluster.errors);
    clusterBroken = true;
  }
  const defaults: ClusterDefaults = (cluster.ok ? cluster.value?.spec?.defaults : undefined) ?? {};
  // A site file is checked against the cluster's defaults: a change there checks every site again.
  // A site without spec.tls.mode gets acme once the cluster names an ACME directory.
  const acmeConfigured = cluster.ok && cluster.value?.spec?.tls?.acme !== undefined;
  const against = `${clusterBroken ? "broken" : "ok"}\0${JSON.stringify(defaults)}\0${acmeConfigured}\0`;
  siteChecks.retain(new Set(files.map((f) => f.path)));

  const candidates: Array<{ site: ResolvedSite; claims: Claims }> = [];
  for (const file of files) {
    if (file.path === CLUSTER_FILE) continue;
    const name = siteOfPath(file.path);
    if (name === undefined) {
      errors.push({ file: file.path, line: 0, column: 0, path: "", message: `is not a manifest: expected ${CLUSTER_FILE} or ${SITES_DIR}/<site>.yaml` });
      continue;
    }
    const checked = siteChecks.get(file.path, against + file.text, () => checkSite(file, name, defaults, clusterBroken, acmeConfigured));
    if (checked.ok) {
      candidates.push(checked);
      for (const env of checked.environments) {
        if (env.ok) candidates.push(env);
        else {
          errors.push(...env.errors.map((e) => ({ ...e, site: env.name })));
          invalid.add(env.name);
        }
      }
    } else {
      errors.push(...checked.errors.map((e) => ({ ...e, site: name })));
      invalid.add(name);
    }
  }

  const reservedPorts = new Map<number, string>();
  const reservedNames = new Map<string, string>();
  if (!clusterBroken) {
    const resolved = resolveCluster(cluster.ok ? cluster.value : undefined);
    // Objects are named <owner>_<name>: a site named like the instance would own the instance's
    // volumes (the TLS keys' tls-certs, the backups) by declaring a volume of the same name.
    reservedNames.set(resolved.instance, `it is the instance's name (simulium.yaml), and the instance's own objects are named ${resolved.instance}_<name>`);
    reservedPorts.set(resolved.varnish.port, "Varnish (simulium.yaml spec.varnish.port)");
    if (resolved.tls !== undefined) reservedPorts.set(resolved.tls.port, "the TLS terminator (simulium.yaml spec.tls.port)");
  }
  const limits = clusterBroken ? undefined : resolveCluster(cluster.ok ? cluster.value : undefined).environments;
  const overLimit = limits ? environmentsOverLimit(candidates.map((c) => c.site), limits) : new Map<ResolvedSite, Issue>();
  // An environment refused by a limit claims no domain.
  const rejected = crossSiteIssues(
    candidates.filter((c) => !overLimit.has(c.site)).map((c) => c.claims),
    reservedPorts,
    reservedNames,
  );
  const sites: ResolvedSite[] = [];
  for (const c of candidates) {
    const limit = overLimit.get(c.site);
    if (limit) {
      errors.push({ file: c.site.file, ...c.claims.locate(limit), site: c.site.name });
      invalid.add(c.site.name);
      continue;
    }
    const issues = rejected.get(c.claims);
    if (!issues) {
      sites.push(c.site);
      continue;
    }
    errors.push(...issues.map((i) => ({ file: c.site.file, ...c.claims.locate(i), site: c.site.name })));
    invalid.add(c.site.name);
  }

  sites.sort((a, b) => compare(a.file, b.file));
  return {
    ...(clusterBroken ? {} : { cluster: resolveCluster(cluster.ok ? cluster.value : undefined) }),
    sites,
    invalidSites: [...invalid].sort(compare),
    errors: sortErrors(errors),
  };
}

// Both are pure functions of the file and what it is checked against: see last-result.ts.
const clusterChecks = new LastResult<Checked<Cluster>>();
const siteChecks = new LastResult<SiteChecked>();

type Checked<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly errors: readonly ManifestError[] };

function checkCluster(file: RepoFile): Checked<Cluster> {
  const parsed = parseManifest(file.path, file.text);
  if (!parsed.ok) return { ok: false, errors: cap(file.path, parsed.errors) };
  const schema = checkClusterSchema(parsed.manifest.value);
  const issues = schema.ok ? clusterRules(schema.value) : schema.issues;
  if (!schema.ok || issues.length > 0) return { ok: false, errors: locateAll(parsed.manifest, issues) };
  return { ok: true, value: schema.value };
}

type Claims = SiteClaims & { readonly locate: (i: Issue) => Omit<ManifestError, "file" | "site"> };
type Candidate = { readonly ok: true; readonly site: ResolvedSite; readonly claims: Claims };
type SiteChecked =
  | (Candidate & { readonly environments: readonly (Candidate | { readonly ok: false; readonly name: string; readonly errors: readonly ManifestError[] })[] })
  | { readonly ok: false; readonly errors: readonly ManifestError[] };

function checkSite(file: RepoFile, name: string, defaults: ClusterDefaults, clusterBroken: boolean, acmeConfigured: boolean): SiteChecked {
  const parsed = parseManifest(file.path, file.text);
  if (!parsed.ok) return { ok: false, errors: cap(file.path, parsed.errors) };
  const m = parsed.manifest;
  const schema = checkSiteSchema(m.value);
  if (!schema.ok) return { ok: false, errors: locateAll(m, schema.issues) };
  const rules = siteRules(schema.value, name);
  const resolved = resolveSite(schema.value, file.path, defaults, acmeConfigured);
  const issues = [...rules, ...(resolved.ok ? [] : resolved.issues.map((i) => (clusterBroken ? withBrokenClusterNote(i) : i)))];
  if (issues.length > 0 || !resolved.ok) return { ok: false, errors: locateAll(m, issues) };
  const domains = resolved.site.domains.map((d, i) => {
    const e = m.locate({ path: ["spec", "domains", i], message: "" });
    return { name: d, line: e.line, column: e.column };
  });
  const site = locateSealed(resolved.site, (path) => m.locate({ path, message: "" }));
  const claims = accessClaims(site, (path) => m.locate({ path, message: "" }));
  const environments = deriveEnvironments(schema.value, site).map((env) => {
    if (!env.ok) return { ok: false as const, name: env.name, errors: locateAll(m, env.issues) };
    const at = ["spec", "environments", env.index];
    const envDomains = env.site.domains.map((d, i) => {
      const path = [...at, "domains", i];
      const e = m.locate({ path, message: "" });
      return { name: d, line: e.line, column: e.column, path };
    });
    return { ok: true as const, site: env.site, claims: { site: env.site.name, file: file.path, domains: envDomains, namePath: [...at, "name"], locate: locateLater(file) } };
  });
  return {
    ok: true,
    site,
    claims: { site: name, file: file.path, domains: [...domains, ...claims.domains], ports: claims.ports, locate: locateLater(file) },
    environments,
  };
}

/**
 * simulium.yaml's limits on environments: past `maxPerSite` of one site, or `max` of the
 * instance (counted in file order, so one more environment in a pull request is what is
 * refused, never one already running), an environment is refused; its site is not.
 */
function environmentsOverLimit(sites: readonly ResolvedSite[], limits: { readonly max: number; readonly maxPerSite: number }): Map<ResolvedSite, Issue> {
  const out = new Map<ResolvedSite, Issue>();
  const perSite = new Map<string, number>();
  let total = 0;
  for (const s of [...sites].sort((a, b) => compare(a.file, b.file))) {
    if (!s.environment) continue;
    const path = ["spec", "environments", s.environment.index, "name"];
    const own = (perSite.get(s.environment.of) ?? 0) + 1;
    perSite.set(s.environment.of, own);
    if (own > limits.maxPerSite) {
      out.set(s, { path, message: `site ${quote(s.environment.of)} would have ${own} environments, over the limit of ${limits.maxPerSite} (simulium.yaml spec.environments.maxPerSite)` });
      continue;
    }
    total += 1;
    if (total > limits.max) out.set(s, { path, message: `this would be environment number ${total} of the instance, over the limit of ${limits.max} (simulium.yaml spec.environments.max)` });
  }
  return out;
}

/**
 * Needed only when another site claims the same domain or port: the file is parsed again
 * then, so a remembered check does not keep its YAML document alive. Made outside checkSite,
 * whose closures share one scope holding the document.
 */
function locateLater(file: RepoFile): Claims["locate"] {
  return (i) => {
    const again = parseManifest(file.path, file.text);
    const e = again.ok ? again.manifest.locate(i) : { line: 0, column: 0, path: "", message: i.message };
    return { line: e.line, column: e.column, path: e.path, message: e.message };
  };
}

function withBrokenClusterNote(issue: Issue): Issue {
  return { ...issue, message: `${issue.message} (simulium.yaml has errors, so its defaults are not applied)` };
}

function locateAll(m: ParsedManifest, issues: readonly Issue[]): ManifestError[] {
  const located = issues.map(m.locate).sort((a, b) => a.line - b.line || a.column - b.column);
  return cap(m.file, located);
}

function cap(file: string, errors: readonly ManifestError[]): ManifestError[] {
  if (errors.length <= MAX_ERRORS_PER_FILE) return [...errors];
  const rest = errors.length - MAX_ERRORS_PER_FILE;
  return [...errors.slice(0, MAX_ERRORS_PER_FILE), { file, line: 0, column: 0, path: "", message: `and ${rest} more problem(s) in this file` }];
}

/** By file; within a file, errors are already in line order (stable sort keeps it). */
function sortErrors(errors: readonly ManifestError[]): ManifestError[] {
  return [...errors].sort((a, b) => compare(a.file, b.file));
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
