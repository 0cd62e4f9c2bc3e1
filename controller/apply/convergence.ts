import type { LiveService, LiveTask } from "../live/types";

export type Convergence =
  | { readonly state: "converged"; readonly running: number }
  | { readonly state: "progressing"; readonly running: number }
  | { readonly state: "failed"; readonly running: number; readonly reason: string };

/** Failed attempts of the current spec, with none running, after which waiting is pointless. */
const MAX_FAILED_ATTEMPTS = 3;

const ROLLED_BACK = new Set(["rollback_completed", "rollback_paused", "paused"]);
const FAILED_TASK = new Set(["failed", "rejected"]);

/**
 * Where one service stands against the spec simulium last gave it. Pure, so the rules that
 * decide "converged" and "failed" are tested on plain data.
 */
export function evaluateService(
  service: LiveService,
  tasks: readonly LiveTask[],
  expected: { readonly fingerprint: string; readonly replicas: number },
): Convergence {
  const mine = tasks.filter((t) => t.serviceId === service.id);
  const current = mine.filter((t) => t.fingerprint === expected.fingerprint);
  const running = current.filter((t) => t.state === "running" && t.desiredState === "running").length;
  const lastError = latestError(current.length > 0 ? current : mine);

  // An update Swarm rolled back is a failure, whatever runs now (the previous version does).
  if (service.updateState !== null && ROLLED_BACK.has(service.updateState)) {
    // After a rollback the service's spec is the previous one again; the reason lives in the
    // tasks of the spec that failed, so look at all of them.
    const why = [latestError(mine), service.updateMessage].filter((s): s is string => !!s).join("; ");
    return { state: "failed", running, reason: why || `update ${service.updateState.replace("_", " ")}` };
  }
  if (service.updateState === "updating" || service.updateState === "rollback_started") {
    return { state: "progressing", running };
  }
  const stale = mine.filter((t) => t.fingerprint !== expected.fingerprint && t.desiredState === "running").length;
  if (running >= expected.replicas && stale === 0) return { state: "converged", running };
  const failedAttempts = current.filter((t) => FAILED_TASK.has(t.state)).length;
  if (running === 0 && expected.replicas > 0 && failedAttempts >= MAX_FAILED_ATTEMPTS) {
    return { state: "failed", running, reason: lastError ?? `${failedAttempts} tasks failed to start` };
  }
  return { state: "progressing", running };
}

function latestError(tasks: readonly LiveTask[]): string | null {
  const failed = tasks
    .filter((t) => FAILED_TASK.has(t.state) && (t.error || t.exitCode))
    .sort((a, b) => b.timestamp.localeCompare(a.timestamp));
  const t = failed[0];
  if (!t) return null;
  return t.error ?? `exit code ${t.exitCode}`;
}
