import { JOB_ROLE, LABEL } from "../desired/labels";
import type { ServiceSpec } from "../desired/types";
import type { ApiServiceSpec } from "../engine/api-types";
import { IdLookup, serviceSpecToApi } from "../apply/service-spec";

/**
 * A one-off job in a site's web image: the web service's spec (image, environment, volumes,
 * secrets, networks, resources, placement) with the command as arguments to the image's
 * entrypoint, run once as a Swarm replicated job and never restarted. Pure.
 */
export function jobServiceSpec(web: ServiceSpec, name: string, command: readonly string[], ids: IdLookup, entrypoint?: readonly string[]): ApiServiceSpec {
  const base = serviceSpecToApi(web, {}, ids);
  const labels = jobLabels(web);
  const { UpdateConfig: _u, RollbackConfig: _r, ...rest } = base;
  return {
    ...rest,
    Name: name,
    Labels: labels,
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

/** The instance, site and role=job: owned by this instance, never part of its desired state. */
export function jobLabels(web: ServiceSpec): Record<string, string> {
  const instance = web.labels[LABEL.instance];
  if (web.site === null || instance === undefined) throw new Error(`internal: ${web.name} is not a site's web service`);
  return { [LABEL.instance]: instance, [LABEL.site]: web.site, [LABEL.role]: JOB_ROLE, [LABEL.stackNamespace]: web.site };
}
