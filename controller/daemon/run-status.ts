import type { SiteOutcome } from "../apply/apply";
import type { ManifestError } from "../manifests/types";
import { Action, isMutation } from "../plan/types";
import { withRoutingHealth, type PinnedNode, type SiteHealth, type SiteStatus } from "../reconcile/status";
import type { SiteRoutingHealth } from "../varnish/backend-health";
import type { Revision } from "../source/types";
import type { NotificationEvent } from "./notify-events";

/**
 * What the daemon remembers about each site between runs, for /status and notifications.
 * Pure: the loop (daemon.ts) feeds it the outcome of each run.
 */
export interface SiteRecord {
  readonly site: string;
  readonly state: SiteHealth;
  /** The commit the site's running services carry (simulium.commit label), if any. */
  readonly appliedCommit: string | null;
  readonly tasks: { readonly running: number; readonly desired: number };
  readonly lastError: string | null;
  /** ISO 8601 end of the last run that looked at this site. */
  readonly lastReconcileAt: string;
  /** Set while the manifest is rejected: the commit that broke it, until a later one fixes it. */
  readonly invalid?: { readonly error: string; readonly commit: string; readonly author: string };
  /** What Varnish last reported of the site's backends (/status only; runs record Swarm's view). */
  readonly routing?: Omit<SiteRoutingHealth, "site">;
  /** The node the site's data is pinned to, and why it is unavailable (null while it is fine). */
  readonly node?: PinnedNode;
}

export type SiteRecords = ReadonlyMap<string, SiteRecord>;

export interface RunObservation {
  readonly revision: Revision;
  /** Per-site state of the swarm after the run (siteStatuses of a fresh read). */
  readonly statuses: readonly SiteStatus[];
  readonly outcomes: readonly SiteOutcome[];
  /** Manifest errors, already formatted for an operator, by site. */
  readonly invalid: ReadonlyMap<string, string>;
  readonly at: number;
}

export function nextRecords(prev: SiteRecords, run: RunObservation): Map<string, SiteRecord> {
  const next = new Map<string, SiteRecord>();
  const at = new Date(run.at).toISOString();
  for (const s of run.statuses) {
    const outcome = run.outcomes.find((o) => o.site === s.site);
    const manifestError = run.invalid.get(s.site);
    // A rolled-back update leaves the old tasks running: the swarm looks fine, the commit did not apply.
    const applyFailed = outcome?.state === "failed";
    const state: SiteHealth = manifestError !== undefined ? "invalid" : applyFailed ? "failed" : s.state;
    const lastError = manifestError ?? (applyFailed ? (outcome.error ?? "apply failed") : s.lastError);
    const before = prev.get(s.site)?.invalid;
    const invalid =
      manifestError === undefined
        ? undefined
        : before && before.error === manifestError
          ? before
          : { error: manifestError, commit: run.revision.sha, author: run.revision.author };
    next.set(s.site, {
      site: s.site,
      state,
      appliedCommit: s.commit,
      tasks: s.tasks,
      lastError,
      lastReconcileAt: at,
      ...(invalid ? { invalid } : {}),
      ...(s.node ? { node: s.node } : {}),
    });
  }
  return next;
}

/**
 * The records as /status shows them: each run records what Swarm says, and Varnish's probes,
 * read much more often than runs happen, may turn a converged site degraded (or back).
 */
export function recordsWithRouting(records: SiteRecords, routing: ReadonlyMap<string, SiteRoutingHealth> | undefined): SiteRecord[] {
  return [...records.values()].map((r) => withRoutingHealth(r, routing?.get(r.site)));
}

/** Manifest errors grouped by site; errors without a site (simulium.yaml) are not a site's. */
export function invalidBySite(errors: readonly ManifestError[], format: (e: ManifestError) => string): Map<string, string> {
  const out = new Map<string, string>();
  for (const e of errors) {
    if (!e.site) continue;
    const text = format(e);
    out.set(e.site, out.has(e.site) ? `${out.get(e.site)}; ${text}` : text);
  }
  return out;
}

const BAD: ReadonlySet<SiteHealth> = new Set<SiteHealth>(["failed", "invalid"]);
const GOOD: ReadonlySet<SiteHealth> = new Set<SiteHealth>(["converged", "drifted", "suspended"]);

/**
 * Events for the notifier; it deduplicates repeats, so every bad site is reported each run.
 * A pinned node's unavailability is reported on its transitions only (the node's state, not the
 * site's: an apply that fails meanwhile must not read as the node coming back).
 */
export function notificationEvents(prev: SiteRecords, next: SiteRecords, revision: Revision, applied: boolean): NotificationEvent[] {
  const events: NotificationEvent[] = [];
  const commit = revision.sha;
  for (const r of next.values()) {
    if (r.state === "failed") events.push({ type: "site.failed", site: r.site, commit, message: r.lastError ?? "failed" });
    else if (r.state === "invalid") events.push({ type: "site.invalid", site: r.site, commit, message: r.lastError ?? "invalid manifest" });
    else if (GOOD.has(r.state) && BAD.has(prev.get(r.site)?.state ?? "pending")) events.push({ type: "site.recovered", site: r.site, commit });
    const node = r.node;
    const before = prev.get(r.site)?.node;
    const wasDown = before !== undefined && before.unavailable !== null;
    if (node !== undefined && node.unavailable !== null) {
      if (!wasDown || before.id !== node.id || before.unavailable !== node.unavailable) {
        const message = `node ${node.hostname} unavailable (${node.unavailable})`;
        events.push({ type: "site.degraded", site: r.site, commit, node: node.hostname, nodeId: node.id, reason: node.unavailable, message });
      }
    } else if (wasDown && node !== undefined) {
      events.push({ type: "site.node-recovered", site: r.site, commit, node: node.hostname, nodeId: node.id });
    }
  }
  if (applied) {
    const records = [...next.values()];
    events.push({
      type: "commit.applied",
      commit,
      subject: revision.subject,
      sites: {
        ready: records.filter((r) => GOOD.has(r.state)).length,
        failed: records.filter((r) => r.state === "failed").length,
        invalid: records.filter((r) => r.state === "invalid").length,
      },
    });
  }
  return events;
}

export function stateCounts(records: SiteRecords | readonly SiteRecord[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const r of Array.isArray(records) ? records : [...records.values()]) counts[r.state] = (counts[r.state] ?? 0) + 1;
  return counts;
}

export interface ActionTally {
  /** `${kind}\n${op}` → count, for simulium_actions_applied_total. */
  readonly byKindOp: ReadonlyMap<string, { readonly kind: string; readonly op: string; readonly count: number }>;
  /** Updates of objects edited outside git. */
  readonly driftCorrections: number;
}

/** Mutating actions of a plan that was applied (retain is a report, not a change). */
export function tallyActions(actions: readonly Action[]): ActionTally {
  const byKindOp = new Map<string, { kind: string; op: string; count: number }>();
  let driftCorrections = 0;
  for (const a of actions) {
    if (!isMutation(a)) continue;
    const key = `${a.kind}\n${a.op}`;
    const cur = byKindOp.get(key) ?? { kind: a.kind, op: a.op, count: 0 };
    byKindOp.set(key, { ...cur, count: cur.count + 1 });
    if (a.op === "update" && a.drift) driftCorrections++;
  }
  return { byKindOp, driftCorrections };
}

/** Which run (start order) last wrote each site's record. */
export type RecordWriters = ReadonlyMap<string, number>;

/**
 * The records once run `run` is done, with runs that went side by side. A run writes the sites
 * it may (`only`: the sites a concurrent run changed; else every site it saw), never a site a
 * run started after it has written already: the run that started first (the older commit)
 * finishing last must not show a newer site's state as its own older view. Pure.
 */
export function mergeRecords(prev: SiteRecords, next: SiteRecords, writers: RecordWriters, run: number, only?: ReadonlySet<string>): { records: Map<string, SiteRecord>; writers: Map<string, number> } {
  const newer = (site: string): boolean => (writers.get(site) ?? 0) > run;
  const records = new Map<string, SiteRecord>();
  const written = new Map(writers);
  if (only !== undefined) {
    for (const [site, r] of prev) if (!only.has(site) || newer(site)) records.set(site, r);
    for (const site of only) {
      if (newer(site)) continue;
      const r = next.get(site);
      if (r) records.set(site, r);
      written.set(site, run);
    }
    return { records, writers: written };
  }
  for (const [site, r] of next) {
    const kept = newer(site) ? prev.get(site) : r;
    if (kept) records.set(site, kept);
    if (!newer(site)) written.set(site, run);
  }
  for (const [site, r] of prev) {
    if (next.has(site)) continue;
    if (newer(site)) records.set(site, r);
    else written.delete(site);
  }
  return { records, writers: written };
}
