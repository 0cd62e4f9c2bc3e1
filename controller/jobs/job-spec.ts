import { JOB_ROLE, LABEL } from "../desired/labels";
import type { ServiceSpec } from "../desired/types";
import type { ApiServiceSpec } from "../engine/api-types";
import { IdLookup, serviceSpecToApi } from "../apply/service-spec";
import { jobFromService } from "../apply/job-service";

export { jobDeadline, JOB_DEADLINE_MARGIN_SECONDS } from "../apply/job-service";

/**
 * A one-off job in a site's web image: the web service's spec (image, environment, volumes,
 * secrets, networks, resources, placement) with the command as arguments to the image's
 * entrypoint, run once as a Swarm replicated job and never restarted. Pure.
 */
export function jobServiceSpec(web: ServiceSpec, name: string, command: readonly string[], ids: IdLookup, deadline: Date, entrypoint?: readonly string[]): ApiServiceSpec {
  return jobFromService(serviceSpecToApi(web, {}, ids), jobLabels(web), name, command, deadline, entrypoint);
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
  return jobFromService(running, siteJobLabels(instance, site), name, command, deadline, entrypoint);
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
