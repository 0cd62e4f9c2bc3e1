import type { SiteOutcome } from "../apply/apply";
import type { Revision } from "../source/types";
import type { SiteRecords } from "./run-status";

/**
 * A site's recent history as the daemon saw it (the dashboard's site page): commits applied
 * (with the hooks' and the update's error when one failed) and state changes with their error.
 * Kept in memory, newest first; cron and backup runs have their own history (jobs/cron.ts).
 */
export type SiteEvent =
  | {
      readonly kind: "deploy";
      readonly at: string;
      readonly commit: string;
      readonly subject: string;
      readonly author: string;
      readonly ok: boolean;
      readonly error: string | null;
    }
  | { readonly kind: "state"; readonly at: string; readonly from: string; readonly to: string; readonly error: string | null }
  /** An uptime or job alert that was notified (site down/recovered, cron or backup failed/recovered). */
  | { readonly kind: "alert"; readonly at: string; readonly text: string; readonly ok: boolean; readonly error: string | null };

export type SiteHistories = ReadonlyMap<string, readonly SiteEvent[]>;

export const HISTORY_LIMIT = 50;

/** What one run adds to each site's history. Pure. */
export function runEvents(prev: SiteRecords, next: SiteRecords, outcomes: readonly SiteOutcome[], revision: Revision, at: number): Map<string, SiteEvent[]> {
  const when = new Date(at).toISOString();
  const out = new Map<string, SiteEvent[]>();
  const add = (site: string, e: SiteEvent): void => void out.set(site, [...(out.get(site) ?? []), e]);
  for (const o of outcomes) {
    if (o.site === null || o.applied === 0) continue;
    const failed = o.state === "failed";
    add(o.site, { kind: "deploy", at: when, commit: revision.sha, subject: revision.subject, author: revision.author, ok: !failed, error: failed ? (o.error ?? "apply failed") : null });
  }
  for (const r of next.values()) {
    const before = prev.get(r.site)?.state ?? "new";
    if (before !== r.state) add(r.site, { kind: "state", at: when, from: before, to: r.state, error: r.lastError });
  }
  return out;
}

/** A state change Varnish's probes saw between runs (degraded, and back). */
export function stateEvent(from: string, to: string, error: string | null, at: number): SiteEvent {
  return { kind: "state", at: new Date(at).toISOString(), from, to, error };
}

/** Newest first, at most `limit` per site. Pure. */
export function appendHistory(histories: SiteHistories, added: ReadonlyMap<string, readonly SiteEvent[]>, limit = HISTORY_LIMIT): Map<string, readonly SiteEvent[]> {
  const next = new Map(histories);
  for (const [site, events] of added) next.set(site, [...[...events].reverse(), ...(histories.get(site) ?? [])].slice(0, limit));
  return next;
}
