import type Docker from "dockerode";
import { engineMessage, engineStatus } from "../engine/docker";
import { setTimeout as sleep } from "node:timers/promises";

/** Swarm's label on every task container: which service it belongs to. */
export const SERVICE_ID_LABEL = "com.docker.swarm.service.id";

/** After the kill: how long the engine may take to finish removing. */
const GIVE_UP_MS = 15_000;

/** A job's containers were still there after its service was removed. */
export class JobCleanupError extends Error {}

export interface RemoveJobOptions {
  /** How long a still-running container may take to stop before it is killed. Default 30 s. */
  readonly stopSeconds?: number;
  readonly pollMs?: number;
}

/**
 * Removes a job service and then its task containers. The engine (20.10) keeps a replicated
 * job's exited containers after the service is gone, and an exited container still holds the
 * site's volumes (`docker volume rm` fails, so deletionPolicy: Delete cannot finish). A
 * container that still runs gets the agent's graceful stop first, then is killed.
 * Only the containers on this engine's node are seen: on a multi-node swarm a job that ran on
 * another node leaves its container there.
 */
export async function removeJobService(docker: Docker, id: string, opts: RemoveJobOptions = {}): Promise<void> {
  await docker
    .getService(id)
    .remove()
    .catch((err: unknown) => {
      if (engineStatus(err) !== 404) throw err;
    });
  const deadline = Date.now() + (opts.stopSeconds ?? 30) * 1000;
  for (;;) {
    const left = (await docker.listContainers({ all: true, filters: { label: [`${SERVICE_ID_LABEL}=${id}`] } })) as Docker.ContainerInfo[];
    if (left.length === 0) return;
    const overdue = Date.now() > deadline;
    const removable = left.filter((c) => overdue || c.State !== "running");
    const failed = await Promise.all(removable.map((c) => removeContainer(docker, c.Id, overdue)));
    const error = failed.find((e) => e !== undefined);
    if (Date.now() > deadline + GIVE_UP_MS) {
      throw new JobCleanupError(`job service ${id}: ${left.length} container(s) still there after removing it${error ? `: ${error}` : ""}`);
    }
    await sleep(opts.pollMs ?? 250);
  }
}

/** undefined when removed or already going; the engine's message otherwise. */
async function removeContainer(docker: Docker, id: string, force: boolean): Promise<string | undefined> {
  try {
    await docker.getContainer(id).remove({ force, v: true });
    return undefined;
  } catch (err) {
    // 404: gone meanwhile; 409: the agent is removing it already.
    const status = engineStatus(err);
    return status === 404 || status === 409 ? undefined : engineMessage(err);
  }
}
