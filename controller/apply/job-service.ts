import { LABEL } from "../desired/labels";
import type { ApiServiceSpec } from "../engine/api-types";

/**
 * A one-off Swarm job made from a service's spec (a site's web for exec, cron and hook jobs;
 * Varnish for the routing relay): run once as a replicated job, never restarted, labelled
 * with its deadline, after which a reconcile removes it (plan/stale-jobs.ts) if its runner
 * did not (remove-job.ts). `entrypoint` replaces the image's; `command` is its arguments. Pure.
 */
export function jobFromService(base: ApiServiceSpec, labels: Record<string, string>, name: string, command: readonly string[], deadline: Date, entrypoint?: readonly string[]): ApiServiceSpec {
  const { UpdateConfig: _u, RollbackConfig: _r, ...rest } = base;
  return {
    ...rest,
    Name: name,
    // On the service only: the task's container needs no deadline.
    Labels: { ...labels, [LABEL.jobDeadline]: deadline.toISOString() },
    TaskTemplate: {
      ...base.TaskTemplate,
      ContainerSpec: {
        ...base.TaskTemplate?.ContainerSpec,
        ...(entrypoint ? { Command: [...entrypoint] } : {}),
        Args: [...command],
        Labels: labels,
        // A job serves nothing: the web service's check (or the image's own) would fail, and
        // Swarm would kill a job that outlives the start period as unhealthy.
        Healthcheck: { Test: ["NONE"] },
      },
      RestartPolicy: { Condition: "none", MaxAttempts: 0 },
    },
    Mode: { ReplicatedJob: { MaxConcurrent: 1, TotalCompletions: 1 } },
    // A job publishes nothing; dnsrr needs no virtual IP (and works without IPVS).
    EndpointSpec: { Mode: "dnsrr", Ports: [] },
  };
}

/** Past its timeout the runner has removed the job; this much later, no runner is left. */
export const JOB_DEADLINE_MARGIN_SECONDS = 300;

/** When a job that may run `seconds` (start and timeout together) is overdue. */
export function jobDeadline(created: Date, seconds: number): Date {
  return new Date(created.getTime() + (seconds + JOB_DEADLINE_MARGIN_SECONDS) * 1000);
}
