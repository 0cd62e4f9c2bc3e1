import type Docker from "dockerode";
import { LABEL } from "../desired/labels";
import type { ApiService, ApiTask } from "../engine/api-types";
import { maintenanceLabel } from "../plan/maintenance";
import { setTimeout as sleep } from "node:timers/promises";

/**
 * A restore or an import takes a site's web service down while it replaces the database and
 * files under it. The service is scaled to 0 and labelled with a maintenance hold, so no
 * reconcile (a push, the daemon's resync) scales it back up in the middle
 * (controller/plan/maintenance.ts); leaving puts the replicas back and drops the label.
 */

export class MaintenanceError extends Error {}

const RUNNING = new Set(["new", "pending", "assigned", "accepted", "preparing", "ready", "starting", "running"]);

export interface Maintenance {
  /** The replica count to put back. */
  readonly replicas: number;
  /**
   * Scales back, ends the hold, and waits until that many tasks run again: their addresses
   * are new, and only then can routing be re-synced to them (routing/after-apply.ts).
   */
  leave(): Promise<void>;
  /**
   * Stays down instead: the hold is relabelled `what` for `seconds`, web stays at 0. For data
   * that must not be served as it is (an environment whose sanitisation failed).
   */
  keep(what: string, seconds: number): Promise<void>;
}

/**
 * Holds `service` for `what` for at most `seconds` (then a reconcile takes over again, so a
 * crashed CLI cannot keep a site down), scales it to 0 and waits until none of its tasks runs:
 * nothing may write the files or the database while they are replaced.
 */
export async function enterMaintenance(
  docker: Docker,
  service: string,
  what: string,
  seconds: number,
  opts: {
    readonly pollMs?: number;
    readonly stopTimeoutSeconds?: number;
    readonly startTimeoutSeconds?: number;
    /** The replicas to put back instead of the current ones: a hold taken again over one a stopped command left (at 0). */
    readonly replicas?: number;
    /** The replicas to put back when the service is already held at 0 (a hold `keep` left); else the current ones. */
    readonly heldReplicas?: number;
  } = {},
): Promise<Maintenance> {
  const current = await inspect(docker, service);
  const currentReplicas = current.Spec?.Mode?.Replicated?.Replicas;
  const alreadyHeld = currentReplicas === 0 && current.Spec?.Labels?.[LABEL.maintenance] !== undefined;
  const replicas = current.Spec?.Mode?.Replicated ? (opts.replicas ?? (alreadyHeld ? opts.heldReplicas : undefined) ?? currentReplicas) : undefined;
  if (replicas === undefined) throw new MaintenanceError(`service ${service} is not a replicated service`);
  const until = new Date(Date.now() + seconds * 1000);
  await update(docker, current, 0, { ...current.Spec?.Labels, [LABEL.maintenance]: maintenanceLabel(what, until) });
  const held: Maintenance = {
    replicas,
    async leave() {
      const now = await inspect(docker, service);
      const { [LABEL.maintenance]: _hold, ...labels } = now.Spec?.Labels ?? {};
      await update(docker, now, replicas, labels);
      await waitRunning(docker, current.ID ?? service, service, replicas, opts);
    },
    async keep(reason, keepSeconds) {
      const now = await inspect(docker, service);
      await update(docker, now, 0, { ...now.Spec?.Labels, [LABEL.maintenance]: maintenanceLabel(reason, new Date(Date.now() + keepSeconds * 1000)) });
    },
  };
  try {
    await waitStopped(docker, current.ID ?? service, service, opts);
  } catch (err) {
    await held.leave().catch(() => undefined);
    throw err;
  }
  return held;
}

async function waitStopped(docker: Docker, id: string, service: string, opts: { readonly pollMs?: number; readonly stopTimeoutSeconds?: number }): Promise<void> {
  const deadline = Date.now() + (opts.stopTimeoutSeconds ?? 120) * 1000;
  for (;;) {
    const tasks = (await docker.listTasks({ filters: { service: [id] } })) as ApiTask[];
    if (!tasks.some((t) => RUNNING.has(t.Status?.State ?? ""))) return;
    if (Date.now() > deadline) throw new MaintenanceError(`service ${service} still has running tasks after scaling to 0`);
    await sleep(opts.pollMs ?? 500);
  }
}

async function waitRunning(docker: Docker, id: string, service: string, replicas: number, opts: { readonly pollMs?: number; readonly startTimeoutSeconds?: number }): Promise<void> {
  const seconds = opts.startTimeoutSeconds ?? 180;
  const deadline = Date.now() + seconds * 1000;
  for (;;) {
    const tasks = (await docker.listTasks({ filters: { service: [id], "desired-state": ["running"] } })) as ApiTask[];
    if (tasks.filter((t) => t.Status?.State === "running").length >= replicas) return;
    if (Date.now() > deadline) throw new MaintenanceError(`service ${service} was scaled back to ${replicas} but its tasks do not run after ${seconds} s: see docker service ps ${service}`);
    await sleep(opts.pollMs ?? 500);
  }
}

async function inspect(docker: Docker, service: string): Promise<ApiService> {
  return (await docker.getService(service).inspect()) as ApiService;
}

async function update(docker: Docker, current: ApiService, replicas: number, labels: Record<string, string>): Promise<void> {
  if (!current.Spec?.Mode?.Replicated) throw new MaintenanceError(`service ${current.Spec?.Name ?? current.ID} is not a replicated service`);
  await docker.getService(current.ID ?? "").update({ ...current.Spec, Labels: labels, Mode: { Replicated: { Replicas: replicas } }, version: current.Version?.Index ?? 0 });
}
