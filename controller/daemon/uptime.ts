/**
 * Uptime and job alerts as pure transitions: each probe (or cron/backup run) result moves a
 * small state, and a notification comes out only when the state flips — once when a site goes
 * down (after `failures` consecutive failed probes), once when it comes back; never per probe.
 */

export type Availability = "unknown" | "up" | "down";

export interface UptimeState {
  readonly availability: Availability;
  /** Consecutive failed probes so far (reset by a success). */
  readonly failures: number;
  /** ISO 8601: since when the site is down (for the recovery message). */
  readonly downSince?: string;
}

export const UNKNOWN: UptimeState = { availability: "unknown", failures: 0 };

export interface ProbeResult {
  readonly ok: boolean;
  readonly at: string;
  /** HTTP status, or why no answer came (timeout, connection refused). */
  readonly detail: string;
}

export type UptimeTransition = { readonly kind: "down"; readonly detail: string; readonly failures: number } | { readonly kind: "recovered"; readonly downSince: string | null };

export function uptimeStep(state: UptimeState, probe: ProbeResult, threshold: number): { readonly state: UptimeState; readonly transition: UptimeTransition | null } {
  if (probe.ok) {
    const transition: UptimeTransition | null = state.availability === "down" ? { kind: "recovered", downSince: state.downSince ?? null } : null;
    return { state: { availability: "up", failures: 0 }, transition };
  }
  const failures = state.failures + 1;
  if (state.availability === "down") return { state: { ...state, failures }, transition: null };
  if (failures >= Math.max(1, threshold)) {
    return { state: { availability: "down", failures, downSince: probe.at }, transition: { kind: "down", detail: probe.detail, failures } };
  }
  return { state: { ...state, failures }, transition: null };
}

/**
 * A probe's answer: a site that answers below 500 serves (a 404 or a login redirect is the
 * site's own answer); 5xx — Varnish's 503 when every backend is sick — or no answer is down.
 */
export function probeOk(status: number | null): boolean {
  return status !== null && status > 0 && status < 500;
}

/** The last run of each job seen, to tell a new run from one already counted. */
export interface JobWatch {
  readonly lastSeen: string | null;
  readonly failing: boolean;
}

export interface JobRunSeen {
  readonly startedAt: string;
  readonly result: string;
  readonly output: string;
}

export type JobTransition = { readonly kind: "failed"; readonly message: string } | { readonly kind: "recovered" };

/**
 * A cron entry's or backup's newest run: a failure after success (or as the first run seen)
 * notifies once; the first success after failures notifies recovery. A skipped run (the
 * previous one still running) changes nothing.
 */
export function jobStep(watch: JobWatch | undefined, newest: JobRunSeen | undefined): { readonly watch: JobWatch; readonly transition: JobTransition | null } {
  const w = watch ?? { lastSeen: null, failing: false };
  if (newest === undefined || newest.startedAt === w.lastSeen || newest.result === "skipped") return { watch: w, transition: null };
  const failed = newest.result !== "ok";
  const next = { lastSeen: newest.startedAt, failing: failed };
  if (failed && !w.failing) return { watch: next, transition: { kind: "failed", message: lastLines(newest.output) } };
  if (!failed && w.failing) return { watch: next, transition: { kind: "recovered" } };
  return { watch: next, transition: null };
}

function lastLines(output: string): string {
  const lines = output.trim().split("\n");
  return lines.slice(-5).join("\n").slice(-1000);
}
