import type { ResolvedCluster, ResolvedSite } from "../manifests/types";
import { LABEL } from "./labels";
import type { Labels, ResourceSpec, ServiceSpec, VolumeSpec } from "./types";

/**
 * Data pinned to its node. With a node-local volume driver a volume lives on the node whose
 * engine made it: a task of the same service on another node gets a new, empty volume of the
 * same name (a database restarted empty). So every service of a site that mounts the site's
 * volumes runs on one node, chosen when the site is first deployed (plan/placement.ts) and
 * never changed implicitly; the volumes are made there. This is the render side. Pure.
 */

/** Where a site's data lives. */
export interface SitePin {
  readonly node: string;
  /**
   * The pinned node is the engine simulium talks to: volumes are made through its API as
   * before. On any other node they are made by that node's engine, from the mount's volume
   * options, when the first task mounting them starts: a volume made through the API would
   * exist on the wrong node (and the one the task uses would be empty).
   */
  readonly here: boolean;
}

/** Shared drivers (NFS through the local driver, or any other driver) need no pin. */
const SHARED_LOCAL_TYPES: ReadonlySet<string> = new Set(["nfs", "nfs4", "cifs"]);

export function nodeLocalVolumes(cluster: ResolvedCluster): boolean {
  return cluster.volumes.driver === "local" && !SHARED_LOCAL_TYPES.has(cluster.volumes.options.type ?? "");
}

/**
 * The web service of a site whose data is not pinned to a node spreads its replicas over the
 * nodes (`node.id` spread preference), so that one node's loss leaves replicas running: a site
 * without data, or any site on a shared volume driver. A site that holds node-local data but
 * has no node yet (none qualified) does not, so it is not updated again once it is pinned.
 */
export function spreadsWeb(site: ResolvedSite, cluster: ResolvedCluster, pin: SitePin | undefined): boolean {
  return pin === undefined && (!nodeLocalVolumes(cluster) || !holdsData(site));
}

/** The web service with its replicas spread over the nodes. */
export function spreadService(s: ServiceSpec): ServiceSpec {
  return { ...s, shape: { ...s.shape, spread: ["node.id"] } };
}

/** A site holds node-local data when it has a database or volumes (which web, SFTP and SSH mount). */
export function holdsData(site: ResolvedSite): boolean {
  return site.database !== undefined || site.volumes.length > 0;
}

/**
 * A site's rendered objects with its pin: every service that mounts a volume of the site runs
 * on the node (`node.id==…`; on another node than the controller's, the volumes' options
 * carried on the mounts so that node's engine makes them right), the web service and those services carry the `simulium.node` label,
 * secrets carry it too (they outlive the services when a site is removed and its data
 * retained), and volumes on another node than the controller's are marked as made there.
 */
export function pinResources(resources: readonly ResourceSpec[], pin: SitePin): ResourceSpec[] {
  const labelled = (labels: Labels): Labels => ({ ...labels, [LABEL.node]: pin.node });
  const volumes = new Map(resources.filter((r): r is VolumeSpec => r.kind === "volume").map((v) => [v.name, { ...v, labels: labelled(v.labels) }]));
  return resources.map((r): ResourceSpec => {
    switch (r.kind) {
      case "volume":
        return { ...r, labels: labelled(r.labels), ...(pin.here ? {} : { onNode: pin.node }) };
      case "secret":
        return { ...r, labels: labelled(r.labels) };
      case "network":
        return r;
      case "service":
        return pinService(r, volumes, pin, labelled);
    }
  });
}

function pinService(s: ServiceSpec, volumes: ReadonlyMap<string, VolumeSpec>, pin: SitePin, labelled: (l: Labels) => Labels): ServiceSpec {
  const mounted = s.shape.mounts.map((m) => volumes.get(m.source)).filter((v): v is VolumeSpec => v !== undefined);
  if (mounted.length === 0) return s.role === "web" ? { ...s, labels: labelled(s.labels) } : s;
  const constraint = `node.id==${pin.node}`;
  return {
    ...s,
    labels: labelled(s.labels),
    shape: { ...s.shape, constraints: [...s.shape.constraints.filter((c) => c !== constraint), constraint].sort() },
    // Only where the node's engine makes the volumes: options in the mounts change the task
    // template (a restart), where a constraint its node satisfies alone leaves the task running,
    // so a site adopted on the controller's node is pinned without a restart.
    ...(pin.here ? {} : { volumes: Object.fromEntries(mounted.map((v) => [v.name, { driver: v.driver, options: v.options, labels: v.labels }])) }),
  };
}
