import { JOB_ROLE, LABEL } from "../desired/labels";
import type { ServiceSpec } from "../desired/types";
import type { ApiServiceSpec } from "../engine/api-types";
import { IdLookup, serviceSpecToApi } from "../apply/service-spec";

/**
 * A one-off job in a site's web image: the web service's spec (image, environment, volumes,
 * secrets, networks, resources, placement) with the command as arguments to the image's
 * entrypoint, run once as a Swarm replicated job and never restarted. Pure.
 */
export function jobServiceSpec(web: ServiceSpec, name: string, command: readonly string[], ids: IdLookup, deadline: Date, entrypoint?: readonly string[]): ApiServiceSpec {
  return asJob(serviceSpecToApi(web, {}, ids), jobLabels(web), name, command, deadline, entrypoint);
}

/**
 * A job in a service's spec as the engine runs it now (its image, environment, mounts,
 * secrets and networks, by ID): after a rolled-back or held update that is the version that
 * serves, not the manifest's. Pure.
 */
export function runningJobSpec(running: ApiServiceSpec, name: string, command: readonly string[], deadline: Date, entrypoint?: readonly string[]): ApiServiceSpec {
  const instance = running.Labels?.[LABEL.instance];
  const site = running.Labels?.[LABEL.site];
  if (instance === undefined || site === undefined) throw new Error(`internal: ${running.Name ?? "a service"} is not a site's service`);
  return asJob(running, siteJobLabels(instance, site), name, command, deadline, entrypoint);
}

function asJob(base: ApiServiceSpec, labels: Record<string, string>, name: string, command: readonly string[], deadline: Date, entrypoint?: readonly string[]): ApiServiceSpec {
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

/** The instance, site and role=job: owned by this instance, never part of its desired state. */
export function jobLabels(web: ServiceSpec): Record<string, string> {
  const instance = web.labels[LABEL.instance];
  if (web.site === null || instance === undefined) throw new Error(`internal: ${web.name} is not a site's web service`);
  return siteJobLabels(instance, web.site);
}

function siteJobLabels(instance: string, site: string): Record<string, string> {
  return { [LABEL.instance]: instance, [LABEL.site]: site, [LABEL.role]: JOB_ROLE, [LABEL.stackNamespace]: site };
}
