import type { LiveNode, LiveService, LiveTask } from "../live/types";
import { nodeSatisfies } from "../live/constraints";

export type Convergence =
  | { readonly state: "converged"; readonly running: number }
  /** `waiting`: why a task of the current spec does not run yet (pending on no node, starting, ...). */
  | { readonly state: "progressing"; readonly running: number; readonly waiting?: string }
  | { readonly state: "failed"; readonly running: number; readonly reason: string };

/** Failed attempts of the current spec, with none running, after which waiting is pointless. */
const MAX_FAILED_ATTEMPTS = 3;

const ROLLED_BACK = new Set(["rollback_completed", "rollback_paused", "paused"]);
const FAILED_TASK = new Set(["failed", "rejected"]);

/**
 * Where one service stands against its own spec, the one Swarm holds: right after apply
 * updated it, that is the spec apply sent (or, rolled back, the previous one, which the update
 * state then says). Pure, so the rules that decide "converged" and "failed" are tested on
 * plain data.
 *
 * A task counts when it runs the service's whole current task template (live/fingerprint.ts)
 * and Swarm calls it running: a task whose container has a health check stays `starting`
 * until the check passes, so health counts too. Without `nodes`, a task that differs only in
 * placement constraints counts as kept in place by Swarm; right after an update, pass the
 * nodes (see needsNodes) so that a task Swarm is about to move does not.
 */
export function evaluateService(
  service: LiveService,
  tasks: readonly LiveTask[],
  expected: { readonly replicas: number },
  nodes?: ReadonlyMap<string, LiveNode>,
): Convergence {
  const mine = tasks.filter((t) => t.serviceId === service.id);
  const want = service.shape.global ? expectedTasks(service, tasks) : expected.replicas;
  const isCurrent = (t: LiveTask) => runsTemplate(service, t, nodes);
  const current = mine.filter(isCurrent);
  const running = current.filter((t) => t.state === "running" && t.desiredState === "running").length;
  const lastError = latestError(current.length > 0 ? current : mine);

  // An update Swarm rolled back is a failure, whatever runs now (the previous version does).
  if (service.updateState !== null && ROLLED_BACK.has(service.updateState)) {
    // After a rollback the service's spec is the previous one again; the reason lives in the
    // tasks of the spec that failed, so look at all of them.
    const why = [latestError(mine), service.updateMessage].filter((s): s is string => !!s).join("; ");
    return { state: "failed", running, reason: why || `update ${service.updateState.replace("_", " ")}` };
  }
  const waiting = waitingFor(current);
  const progressing = (): Convergence => ({ state: "progressing", running, ...(waiting ? { waiting } : {}) });
  if (service.updateState === "updating" || service.updateState === "rollback_started") return progressing();
  const stale = mine.filter((t) => !isCurrent(t) && t.desiredState === "running").length;
  if (running >= want && stale === 0) return { state: "converged", running };
  const failedAttempts = current.filter((t) => FAILED_TASK.has(t.state)).length;
  if (running === 0 && want > 0 && failedAttempts >= MAX_FAILED_ATTEMPTS) {
    return { state: "failed", running, reason: lastError ?? `${failedAttempts} tasks failed to start` };
  }
  return progressing();
}

/**
 * How many tasks a service should run: its replicas; for a global one, one on each node Swarm
 * gave it a task to run on (Swarm knows which nodes its constraints allow, and places on a node
 * that joins later), and at least one: a global service no node can run is not converged. A
 * node whose task keeps failing counts: Swarm's replacement waits out the restart delay with
 * desired state `ready`. Pure.
 */
export function expectedTasks(service: LiveService, tasks: readonly LiveTask[]): number {
  if (!service.shape.global) return service.shape.replicas;
  const nodes = new Set(tasks.filter((t) => t.serviceId === service.id && (t.desiredState === "running" || t.desiredState === "ready")).map((t) => t.nodeId ?? t.id));
  return Math.max(1, nodes.size);
}

/**
 * Whether judging the service needs the swarm's nodes: some task of it differs from its
 * template only in placement constraints. Pure.
 */
export function needsNodes(service: LiveService, tasks: readonly LiveTask[]): boolean {
  return tasks.some((t) => t.serviceId === service.id && t.fingerprint === service.template.fingerprint && !sameConstraints(t, service));
}

function runsTemplate(service: LiveService, t: LiveTask, nodes: ReadonlyMap<string, LiveNode> | undefined): boolean {
  if (t.fingerprint !== service.template.fingerprint) return false;
  if (sameConstraints(t, service)) return true;
  if (nodes === undefined) return true;
  const node = t.nodeId === null ? undefined : nodes.get(t.nodeId);
  return node !== undefined && nodeSatisfies(service.template.constraints, node);
}

function sameConstraints(t: LiveTask, service: LiveService): boolean {
  return t.constraints.join("\n") === service.template.constraints.join("\n");
}

/** The newest task of the current spec that should run and does not, as `state: why`. */
function waitingFor(current: readonly LiveTask[]): string | null {
  const t = current
    .filter((x) => x.desiredState === "running" && x.state !== "running")
    .sort((a, b) => b.timestamp.localeCompare(a.timestamp))[0];
  if (!t) return null;
  const why = t.error ?? (t.message && t.message !== t.state ? t.message : null);
  return why ? `task ${t.state}: ${why}` : `task ${t.state}`;
}

function latestError(tasks: readonly LiveTask[]): string | null {
  const failed = tasks
    .filter((t) => FAILED_TASK.has(t.state) && (t.error || t.exitCode))
    .sort((a, b) => b.timestamp.localeCompare(a.timestamp));
  const t = failed[0];
  if (!t) return null;
  return t.error ?? `exit code ${t.exitCode}`;
}
