import type Docker from "dockerode";
import { LABEL } from "../desired/labels";
import { engineMessage, engineStatus } from "../engine/docker";
import type { ApiNetwork, ApiTask } from "../engine/api-types";
import { readNodes } from "../live/read";
import type { DeleteAction } from "../plan/types";
import { setTimeout as sleep } from "node:timers/promises";

export interface RemovalOptions {
  readonly timeoutSeconds: number;
  readonly pollMs?: number;
  /**
   * Only tasks on nodes that are up: a down node's task stays listed until that node is back,
   * and its port is no other node's concern (a service replaced, apply.ts).
   */
  readonly upNodesOnly?: boolean;
}

/** A service removed by this apply: "not found" means someone removed it first, which is done. */
export async function removeService(docker: Docker, id: string): Promise<void> {
  try {
    await docker.getService(id).remove();
  } catch (err) {
    if (engineStatus(err) !== 404) throw err;
  }
}

/**
 * Waits until the removed services have no task left. A network, volume or secret a stopping
 * task still holds is either refused ("in use") or, for an overlay network, accepted and kept
 * listed until the task detaches: the next plan would see it and the next apply fail on it.
 * Their tasks stop within their stop grace period, so this is bounded by it (and the timeout).
 */
export async function waitTasksGone(docker: Docker, instance: string, serviceIds: readonly string[], opts: RemovalOptions): Promise<void> {
  if (serviceIds.length === 0) return;
  const removed = new Set(serviceIds);
  const deadline = Date.now() + Math.min(opts.timeoutSeconds, 120) * 1000;
  const up = opts.upNodesOnly ? new Set((await readNodes(docker)).filter((n) => n.state === "ready").map((n) => n.id)) : undefined;
  while (Date.now() < deadline) {
    // By the tasks' own instance label: the engine refuses a service filter naming a removed service.
    const tasks = (await docker.listTasks({ filters: { label: [`${LABEL.instance}=${instance}`] } })) as ApiTask[];
    if (!tasks.some((t) => removed.has(t.ServiceID ?? "") && (up === undefined || up.has(t.NodeID ?? "")))) return;
    await sleep(opts.pollMs ?? 500);
  }
}

/**
 * Removes a network, volume or secret once nothing uses it any more, and for a network waits
 * until the engine no longer lists it, so the plan right after this apply is clean.
 * "Not found" is done: the object is gone, which is what was asked.
 */
export async function removeWhenFree(docker: Docker, action: DeleteAction, opts: RemovalOptions): Promise<void> {
  const deadline = Date.now() + Math.min(opts.timeoutSeconds, 60) * 1000;
  for (;;) {
    try {
      if (action.kind === "secret") await docker.getSecret(action.id).remove();
      else if (action.kind === "volume") await docker.getVolume(action.id).remove();
      else await docker.getNetwork(action.id).remove();
      break;
    } catch (err) {
      if (engineStatus(err) === 404) return;
      const inUse = /in use|active endpoints/i.test(engineMessage(err));
      if (!inUse || Date.now() > deadline) throw err;
      await sleep(opts.pollMs ?? 1000);
    }
  }
  if (action.kind === "network") await waitNetworkGone(docker, action, deadline, opts.pollMs ?? 500);
}

async function waitNetworkGone(docker: Docker, action: DeleteAction, deadline: number, pollMs: number): Promise<void> {
  while (Date.now() < deadline) {
    const listed = (await docker.listNetworks({ filters: { id: [action.id] } })) as ApiNetwork[];
    if (!listed.some((n) => n.Id === action.id)) return;
    await sleep(pollMs);
  }
  throw new Error(`network ${action.name} is still listed after its removal was accepted`);
}

