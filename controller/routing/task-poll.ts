import type Docker from "dockerode";
import { JOB_ROLE, LABEL } from "../desired/labels";
import type { ApiTask } from "../engine/api-types";

/**
 * The engine's event stream carries container events of its own node only: on a multi-node
 * swarm a web task replaced, rescheduled or scaled on another node starts and dies unseen,
 * and its old address would stay in every VCL until the next resync (a minute of 503s on that
 * site). So, while the swarm has more than one node, the daemon also lists the instance's
 * running tasks every `intervalMs` (one call, filtered by the instance's label) and calls
 * onChange when what routing depends on changed: which tasks run, where, and at which address.
 */
export interface TaskPollOptions {
  /** Between two lists. Default 1 s: a move reaches Varnish within a second of being visible. */
  readonly intervalMs?: number;
  /** How often the number of nodes is read again (a node joining turns the poll on). Default 30 s. */
  readonly nodesEveryMs?: number;
  readonly onError?: (err: Error) => void;
}

export interface TaskPoll {
  stop(): void;
}

export function pollTasks(docker: Docker, instance: string, onChange: () => void, opts: TaskPollOptions = {}): TaskPoll {
  const intervalMs = opts.intervalMs ?? 1000;
  const nodesEveryMs = opts.nodesEveryMs ?? 30_000;
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let multiNode = false;
  let nodesReadAt = -Infinity;
  let last: string | undefined;

  const tick = async (): Promise<void> => {
    try {
      if (Date.now() - nodesReadAt >= nodesEveryMs) {
        multiNode = ((await docker.listNodes()) as unknown[]).length > 1;
        nodesReadAt = Date.now();
      }
      if (multiNode) {
        const tasks = (await docker.listTasks({ filters: { label: [`${LABEL.instance}=${instance}`], "desired-state": ["running"] } })) as ApiTask[];
        const key = routingTaskKey(tasks);
        // The first list is the baseline: the run that started the poll routed from it.
        if (last !== undefined && key !== last && !stopped) onChange();
        last = key;
      } else {
        last = undefined;
      }
    } catch (err) {
      opts.onError?.(err instanceof Error ? err : new Error(String(err)));
    }
    if (!stopped) timer = setTimeout(() => void tick(), intervalMs);
  };

  void tick();
  return {
    stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
    },
  };
}

/**
 * What routing reads from the tasks, as one comparable string: each service task's id, state,
 * node and addresses (jobs excluded: they route nothing, and a busy cron would otherwise move
 * the key every minute). Equal keys mean no VCL would change. Pure.
 */
export function routingTaskKey(tasks: readonly ApiTask[]): string {
  const lines: string[] = [];
  for (const t of tasks) {
    const labels = t.Spec?.ContainerSpec?.Labels ?? {};
    if (labels[LABEL.role] === JOB_ROLE) continue;
    const addresses = (t.NetworksAttachments ?? []).flatMap((a) => a.Addresses ?? []).sort();
    lines.push(`${t.ID}:${t.Status?.State ?? ""}:${t.NodeID ?? ""}:${addresses.join(",")}`);
  }
  return lines.sort().join("\n");
}
