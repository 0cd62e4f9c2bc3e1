import type { BackendListEntry } from "./admin-protocol";

/**
 * Routing health per site, from what each Varnish task says of its backends (`backend.list -j -p`
 * of the active VCL). Pure: the I/O that asks every task is routing/backend-health-read.ts.
 *
 * A site's backends are `b_<id>_<n>` (vcl.ts), `<id>` being the site name with `-` → `_`; site
 * names never contain `_`, so the name is recovered exactly. Directors and phpMyAdmin's
 * backends (`pmab_…`, unprobed) are not sites' web backends and are left out.
 */
export interface TaskBackends {
  /** The Varnish task that answered. */
  readonly task: string;
  readonly backends: readonly BackendListEntry[];
}

export interface SiteRoutingHealth {
  readonly site: string;
  /** Backends of the site over every task that answered (one task's view counts each once). */
  readonly healthy: number;
  readonly sick: number;
  /** Varnish tasks that route the site, and those of them on which every backend is sick. */
  readonly tasks: number;
  readonly sickTasks: number;
}

/** Which sites each task would answer with 503 because no backend of theirs passes its probe. */
export function siteRoutingHealth(answers: readonly TaskBackends[]): Map<string, SiteRoutingHealth> {
  const out = new Map<string, { healthy: number; sick: number; tasks: number; sickTasks: number }>();
  for (const answer of answers) {
    const perSite = new Map<string, { healthy: number; sick: number }>();
    for (const b of answer.backends) {
      const site = siteOfBackend(b.name);
      if (site === undefined || b.type !== "backend") continue;
      const counts = perSite.get(site) ?? { healthy: 0, sick: 0 };
      if (isSick(b)) counts.sick++;
      else counts.healthy++;
      perSite.set(site, counts);
    }
    for (const [site, c] of perSite) {
      const total = out.get(site) ?? { healthy: 0, sick: 0, tasks: 0, sickTasks: 0 };
      out.set(site, {
        healthy: total.healthy + c.healthy,
        sick: total.sick + c.sick,
        tasks: total.tasks + 1,
        sickTasks: total.sickTasks + (c.healthy === 0 ? 1 : 0),
      });
    }
  }
  return new Map([...out].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([site, h]) => [site, { site, ...h }]));
}

/**
 * Why a site is degraded, or null when Varnish routes it: a task on which every backend of the
 * site is sick answers its visitors 503, however healthy Swarm thinks the tasks are.
 */
export function degradedReason(h: SiteRoutingHealth | undefined): string | null {
  if (h === undefined || h.sickTasks === 0) return null;
  if (h.sickTasks === h.tasks) return "varnish reports every backend sick";
  return `varnish reports every backend sick on ${h.sickTasks} of ${h.tasks} Varnish tasks`;
}

const SITE_BACKEND = /^b_([a-z][a-z0-9_]*)_(\d+)$/;

export function siteOfBackend(name: string): string | undefined {
  const m = SITE_BACKEND.exec(name);
  return m?.[1]?.replace(/_/g, "-");
}

/** An operator's `backend.set_health` overrides the probe; "unknown" (no probe yet) is not sick. */
function isSick(b: BackendListEntry): boolean {
  if (b.adminHealth === "sick") return true;
  if (b.adminHealth === "healthy") return false;
  return b.health === "sick";
}
