/**
 * What the daemon knows about its own health, fed by the reconcile loop and read by
 * /readyz, /status and the metrics. Times are epoch milliseconds.
 */
export interface HealthSnapshot {
  /** End of the last reconcile that succeeded. */
  readonly lastReconcileOkAt?: number;
  /** Last time the source was fetched (or read) successfully. */
  readonly lastSyncOkAt?: number;
  /** Author date (ISO 8601) of the commit in force, for the commit age gauge. */
  readonly commitDate?: string;
  /** Result of the last engine check; undefined until one was made. */
  readonly engineReachable?: boolean;
}

export interface DaemonState {
  reconcileSucceeded(at?: number): void;
  syncSucceeded(commitDate: string, at?: number): void;
  engineChecked(reachable: boolean): void;
  snapshot(): HealthSnapshot;
}

export interface Readiness {
  readonly ready: boolean;
  /** Why not ready, for operators and load balancers; empty when ready. */
  readonly reasons: readonly string[];
}

export function createDaemonState(now: () => number = Date.now): DaemonState {
  let s: HealthSnapshot = {};
  return {
    reconcileSucceeded: (at = now()) => void (s = { ...s, lastReconcileOkAt: at }),
    syncSucceeded: (commitDate, at = now()) => void (s = { ...s, lastSyncOkAt: at, commitDate }),
    engineChecked: (reachable) => void (s = { ...s, engineReachable: reachable }),
    snapshot: () => s,
  };
}

/** Never synced counts as stale: nothing proves the manifests in force are current. */
export function isStale(s: HealthSnapshot, now: number, staleAfterSeconds: number): boolean {
  return s.lastSyncOkAt === undefined || now - s.lastSyncOkAt > staleAfterSeconds * 1000;
}

export function readiness(s: HealthSnapshot, now: number, staleAfterSeconds: number): Readiness {
  const reasons: string[] = [];
  if (s.lastReconcileOkAt === undefined) reasons.push("no reconcile has succeeded yet");
  if (s.lastSyncOkAt === undefined) reasons.push("the source has not been synced yet");
  else if (isStale(s, now, staleAfterSeconds)) {
    reasons.push(`last successful sync was ${Math.round((now - s.lastSyncOkAt) / 1000)}s ago (stale after ${staleAfterSeconds}s)`);
  }
  if (s.engineReachable === undefined) reasons.push("the engine has not been checked yet");
  else if (!s.engineReachable) reasons.push("the engine was unreachable at the last check");
  return { ready: reasons.length === 0, reasons };
}

/** Seconds since the commit in force was authored; undefined before the first sync. */
export function commitAgeSeconds(s: HealthSnapshot, now: number): number | undefined {
  if (s.commitDate === undefined) return undefined;
  const t = Date.parse(s.commitDate);
  return Number.isNaN(t) ? undefined : Math.max(0, (now - t) / 1000);
}
