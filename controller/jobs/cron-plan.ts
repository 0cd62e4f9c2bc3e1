import type { ResolvedSite } from "../manifests/types";

/** One scheduled command of one site, as the daemon runs it. Plain data. */
export interface CronEntry {
  readonly site: string;
  readonly name: string;
  readonly schedule: string;
  readonly command: readonly string[];
  readonly timeout: number;
  readonly allowOverlap: boolean;
}

export const CIVICRM_JOBS = { name: "civicrm-jobs", schedule: "*/15 * * * *", command: ["cv", "api3", "job.execute"] } as const;
export const CIVICRM_BOUNCES = { name: "civicrm-bounces", schedule: "0 * * * *", command: ["cv", "api3", "job.fetch_bounces"] } as const;
const DEFAULT_TIMEOUT = 900;

/**
 * A site's entries: its own `spec.cron`, then the CiviCRM defaults it enabled and does not
 * already run itself (same command, or an entry of the same name). Pure.
 */
export function siteCronEntries(site: ResolvedSite): CronEntry[] {
  const own: CronEntry[] = site.cron.map((c) => ({ site: site.name, ...c }));
  const defaults = [
    ...(site.civicrm?.scheduledJobs ? [CIVICRM_JOBS] : []),
    ...(site.civicrm?.bounces ? [CIVICRM_BOUNCES] : []),
  ].filter((d) => !own.some((c) => c.name === d.name || sameCommand(c.command, d.command)));
  return [...own, ...defaults.map((d) => ({ site: site.name, name: d.name, schedule: d.schedule, command: [...d.command], timeout: DEFAULT_TIMEOUT, allowOverlap: false }))];
}

/** What the daemon schedules: every entry of every valid site that is not suspended. */
export function cronEntries(sites: readonly ResolvedSite[]): CronEntry[] {
  return sites.filter((s) => !s.suspend).flatMap(siteCronEntries);
}

export const entryKey = (e: { readonly site: string; readonly name: string }): string => `${e.site}/${e.name}`;

/** Anything that changes when or how an entry runs; the web spec is looked up at run time. */
export function entryFingerprint(e: CronEntry, timeZone: string): string {
  return JSON.stringify([e.schedule, e.command, e.timeout, e.allowOverlap, timeZone]);
}

export interface ScheduleChanges {
  /** Keys to stop (removed or changed). */
  readonly stop: readonly string[];
  /** Entries to (re)start (added or changed). */
  readonly start: readonly CronEntry[];
}

/** From the fingerprints scheduled now to the entries wanted. Pure. */
export function diffSchedules(current: ReadonlyMap<string, string>, wanted: readonly CronEntry[], timeZone: string): ScheduleChanges {
  const want = new Map(wanted.map((e) => [entryKey(e), e]));
  const stop: string[] = [];
  const start: CronEntry[] = [];
  for (const [key, fp] of current) {
    const w = want.get(key);
    if (!w || entryFingerprint(w, timeZone) !== fp) stop.push(key);
  }
  for (const [key, e] of want) if (current.get(key) !== entryFingerprint(e, timeZone)) start.push(e);
  return { stop, start };
}

/** A tick while a run is still going is skipped unless the entry allows overlap. */
export function tickDecision(entry: Pick<CronEntry, "allowOverlap">, running: number): "start" | "skip" {
  return running > 0 && !entry.allowOverlap ? "skip" : "start";
}

export type CronResult = "success" | "failure" | "timeout" | "error";

export interface CronRun {
  readonly startedAt: string;
  readonly durationSeconds: number;
  readonly result: CronResult;
  /** null when the job never ended by itself (timeout, could not start). */
  readonly exitCode: number | null;
  /** The last lines of output, or why the job did not run to an end. */
  readonly output: string;
}

export const HISTORY = 20;
export const TAIL_LINES = 20;

/** Newest first, at most `limit`. */
export function pushHistory(history: readonly CronRun[], run: CronRun, limit = HISTORY): CronRun[] {
  return [run, ...history].slice(0, limit);
}

export function tailLines(text: string, lines = TAIL_LINES): string {
  const all = text.replace(/\n$/, "").split("\n");
  return all.slice(-lines).join("\n");
}

function sameCommand(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}
