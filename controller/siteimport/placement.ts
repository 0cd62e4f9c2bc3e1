import { names } from "../desired/names";
import type { ImportPlan } from "./plan";

/** A running task of one of the site's services, and the node it runs on. */
export interface SiteTask {
  readonly role: "web" | "db";
  readonly nodeId: string;
}

export interface SiteOnSwarm {
  /** Whether each service exists at all. */
  readonly services: { readonly web: boolean; readonly db: boolean };
  readonly tasks: readonly SiteTask[];
  readonly localNodeId: string;
  /** Node ID -> host name, for messages. */
  readonly nodeNames: ReadonlyMap<string, string>;
}

/**
 * Why the site cannot be imported from this node, or undefined. The site must be applied (its
 * services exist, its database runs) and, with node-local volumes, run on this node: the job
 * is pinned here (the upload goes into a local container) and a local volume exists only on
 * the node that made it. Pure.
 */
export function placementProblem(plan: ImportPlan, swarm: SiteOnSwarm): string | undefined {
  const site = plan.site.name;
  const apply = `simulium apply --site ${site}`;
  if (!swarm.services.web) return `site ${site} is not applied: there is no service ${names.service(site, "web")} (${apply})`;
  if (plan.site.database) {
    if (!swarm.services.db) return `site ${site} is not applied: there is no service ${names.service(site, "db")} (${apply})`;
    if (!swarm.tasks.some((t) => t.role === "db")) return `site ${site}'s database service ${names.service(site, "db")} has no running task: wait for it, or look at simulium status ${site}`;
  }
  if (plan.cluster.volumes.driver !== "local") return undefined;
  const elsewhere = swarm.tasks.find((t) => t.nodeId !== swarm.localNodeId);
  if (!elsewhere) return undefined;
  const node = swarm.nodeNames.get(elsewhere.nodeId) ?? elsewhere.nodeId;
  return `site ${site} runs on node ${node} (its ${elsewhere.role} service) and its volumes are local to that node: run simulium import on ${node}`;
}
