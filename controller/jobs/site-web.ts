import type Docker from "dockerode";
import { LABEL } from "../desired/labels";
import { names } from "../desired/names";
import { renderSite } from "../desired/render";
import type { ServiceSpec } from "../desired/types";
import type { ApiService } from "../engine/api-types";
import { engineStatus } from "../engine/docker";
import type { ResolvedCluster, ResolvedSite } from "../manifests/types";
import { JobError } from "./run-job";

/** The site's web service as the reconcile renders it: the environment every job of the site runs in. */
export function siteWebSpec(site: ResolvedSite, cluster: ResolvedCluster): ServiceSpec {
  const web = renderSite(site, cluster).find((r): r is ServiceSpec => r.kind === "service" && r.role === "web");
  if (!web) throw new Error(`internal: site ${site.name} has no web service`);
  return web;
}

/** A job service name's middle part: long site and entry names must still fit Swarm's 63 characters. */
export function jobKind(prefix: string, name: string, site: string): string {
  return `${prefix}-${name}`.slice(0, Math.max(prefix.length, 63 - site.length - 1 - 7));
}

/** The site's web service spec as the engine has it now; only this instance's. */
export async function runningWebSpec(docker: Docker, instance: string, site: string): Promise<NonNullable<ApiService["Spec"]>> {
  const name = names.service(site, "web");
  try {
    const service = (await docker.getService(name).inspect()) as ApiService;
    if (!service.Spec || service.Spec.Labels?.[LABEL.instance] !== instance) throw new JobError(`service ${name} is not instance ${instance}'s`);
    return service.Spec;
  } catch (err) {
    if (engineStatus(err) === 404) throw new JobError(`service ${name} does not exist: apply the site first (simulium apply --site ${site})`);
    throw err;
  }
}
