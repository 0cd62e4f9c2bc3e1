import { deriveEnvironmentSite, nameLengths } from "./environments";
import { SITES_DIR } from "./layout";
import type { ResolvedCluster, ResolvedSite, Resources } from "./types";

/**
 * Preview environments of pull requests: a site whose manifest a pull request changes is
 * deployed at the pull request's head as the environment `pr<number>` of the site
 * (`<site>--pr<number>`), on a domain made from simulium.yaml's pattern, with
 * `deletionPolicy: Delete` by construction (nothing else ever gets it implicitly), crons off
 * and mail to the sink. Pure.
 */

export type PreviewConfig = NonNullable<ResolvedCluster["previews"]>;

/** What the daemon keeps of a pull request with previews (state file `previews.json`). */
export interface PreviewRecord {
  readonly provider: string;
  readonly number: number;
  readonly headSha: string;
  readonly headRef: string;
  /** The production sites it previews (their previews are `<site>--pr<number>`). */
  readonly sites: readonly string[];
  /** ISO times: when the preview was first asked for, and last updated (a push). */
  readonly openedAt: string;
  readonly updatedAt: string;
  /** Previews already loaded from their site's latest backup (once: a push keeps the preview's data). */
  readonly seeded?: readonly string[];
}

export function previewEnvironmentName(number: number): string {
  return `pr${number}`;
}

const DNS_LABEL = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;

/** `{site}-pr{number}.preview.example.org` → the domain of one preview, or why it is not a host name. */
export function previewDomain(pattern: string, site: string, number: number): { readonly ok: true; readonly domain: string } | { readonly ok: false; readonly problem: string } {
  const domain = pattern.split("{site}").join(site).split("{number}").join(String(number));
  if (domain.length > 253 || !domain.split(".").every((l) => DNS_LABEL.test(l)) || !domain.includes(".")) {
    return { ok: false, problem: `the preview domain ${JSON.stringify(domain)} (simulium.yaml spec.previews.domain) is not a valid host name: each label at most 63 letters, digits or '-'` };
  }
  return { ok: true, domain };
}

/**
 * The sites of a repository a pull request changes: those whose `sites/<name>.yaml` differs
 * between the base and the head, or is new, and that are valid at the head. A change of
 * simulium.yaml alone previews nothing (its plan is on the pull request).
 */
export function changedSites(baseFiles: ReadonlyMap<string, string>, headFiles: ReadonlyMap<string, string>, headSites: readonly ResolvedSite[]): ResolvedSite[] {
  return headSites.filter((s) => {
    if (s.environment) return false;
    const file = `${SITES_DIR}/${s.name}.yaml`;
    return headFiles.get(file) !== baseFiles.get(file);
  });
}

export type PreviewPlan = { readonly sites: readonly ResolvedSite[]; readonly problems: readonly string[] };

/**
 * The preview sites of one pull request: each changed site of its head, as an environment
 * `pr<number>`. A preview whose domain or name collides with a site or environment of the
 * deployed repository (`deployed`: what the main branch runs) is refused with the reason,
 * never deployed: a preview must not take a production domain.
 */
export function previewSites(changed: readonly ResolvedSite[], pr: { readonly number: number; readonly headSha: string }, config: PreviewConfig, deployed: readonly ResolvedSite[]): PreviewPlan {
  const taken = new Map<string, string>();
  for (const s of deployed) for (const d of s.domains) taken.set(d, s.name);
  const names = new Set(deployed.map((s) => s.name));
  const sites: ResolvedSite[] = [];
  const problems: string[] = [];
  for (const parent of changed) {
    const domain = previewDomain(config.domain, parent.name, pr.number);
    if (!domain.ok) {
      problems.push(`${parent.name}: ${domain.problem}`);
      continue;
    }
    // Recorded as the head says: the caps are applied on every reconcile (withPreviewSites), so raising one reaches it.
    const site = deriveEnvironmentSite(parent, { name: previewEnvironmentName(pr.number), domains: [domain.domain], deletionPolicy: "Delete" }, -1, pr);
    const owner = taken.get(domain.domain);
    const lengths = nameLengths(site, []);
    if (owner !== undefined) problems.push(`${parent.name}: the preview domain ${domain.domain} is already served by ${owner}: previews never take a deployed site's domain`);
    else if (names.has(site.name)) problems.push(`${parent.name}: ${site.name} is already a site of the repository`);
    else if (lengths.length > 0) problems.push(`${parent.name}: ${lengths.map((i) => i.message).join("; ")}`);
    else sites.push(site);
  }
  return { sites, problems };
}

/**
 * A preview within simulium.yaml's caps (`spec.previews.resources`, `replicas`): each limit of
 * its web and database tasks is the lower of its own and the cap (a service without one gets
 * the cap), and its web replicas at most `replicas`. Applied to every preview on every
 * reconcile, so a changed cap reaches the previews already running. Pure.
 */
export function capPreviewSite(site: ResolvedSite, config: Pick<PreviewConfig, "resources" | "replicas">): ResolvedSite {
  const cap = config.resources;
  const web = {
    ...site.web,
    replicas: config.replicas !== undefined ? Math.min(site.web.replicas, config.replicas) : site.web.replicas,
    resources: cap ? capResources(site.web.resources, cap) : site.web.resources,
  };
  const database = site.database && cap ? { ...site.database, resources: capResources(site.database.resources, cap) } : site.database;
  return { ...site, web, ...(database ? { database } : {}) };
}

function capResources(own: Resources, cap: Resources): Resources {
  const lower = (a: number | undefined, b: number | undefined) => (a === undefined ? b : b === undefined ? a : Math.min(a, b));
  const memoryBytes = lower(own.memoryBytes, cap.memoryBytes);
  const nanoCpus = lower(own.nanoCpus, cap.nanoCpus);
  return { ...(memoryBytes !== undefined ? { memoryBytes } : {}), ...(nanoCpus !== undefined ? { nanoCpus } : {}) };
}

/**
 * Which pull requests have previews now: oldest first up to `max` previews in all (a pull
 * request counts its sites); later ones wait. Pure.
 */
export function admitted(records: readonly PreviewRecord[], max: number): { readonly admitted: readonly PreviewRecord[]; readonly waiting: readonly PreviewRecord[] } {
  const ordered = [...records].sort((a, b) => (a.openedAt < b.openedAt ? -1 : a.openedAt > b.openedAt ? 1 : a.number - b.number));
  const out: PreviewRecord[] = [];
  const waiting: PreviewRecord[] = [];
  let used = 0;
  for (const r of ordered) {
    if (used + r.sites.length <= max) {
      out.push(r);
      used += r.sites.length;
    } else waiting.push(r);
  }
  return { admitted: out, waiting };
}

/** Pull requests without a push for `ttlHours`: their previews are removed as if closed. */
export function expired(records: readonly PreviewRecord[], now: Date, ttlHours: number): PreviewRecord[] {
  return records.filter((r) => now.getTime() - Date.parse(r.updatedAt) > ttlHours * 3600_000);
}
