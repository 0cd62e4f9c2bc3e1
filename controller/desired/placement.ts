import type { ResolvedCluster, ResolvedSite } from "../manifests/types";
import { LABEL } from "./labels";
import type { Labels, ResourceSpec, ServiceSpec, VolumeSpec } from "./types";

/**
 * Data pinned to its node. With a node-local volume driver a volume lives on the node whose
 * engine made it: a task of the same service on another node gets a new, empty volume of the
 * same name (a database restarted empty). So every service of a site that mounts the site's
 * volumes runs on one node, chosen when the site is first deployed and never changed
 * implicitly; the volumes are made there. Pure: nodes, pins and manifests in, choices out.
 */

/** A swarm node as placement and status read it (live/read.ts projects the engine's). */
export interface SwarmNode {
  readonly id: string;
  readonly hostname: string;
  readonly role: "manager" | "worker";
  /** `active`, `pause` or `drain`: only an active node takes new tasks. */
  readonly availability: string;
  /** `ready`, `down`, `disconnected`, `unknown`. */
  readonly state: string;
  readonly labels: Labels;
  readonly engineLabels: Labels;
  readonly os: string;
  readonly arch: string;
}

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

export interface PlacementInput {
  readonly sites: readonly ResolvedSite[];
  readonly cluster: ResolvedCluster;
  readonly nodes: readonly SwarmNode[];
  /** Pins already recorded on the swarm (live/pins.ts), by site: kept whatever the nodes' state. */
  readonly pinned: ReadonlyMap<string, string>;
  /** Sites that have data services on the swarm but no pin to read: never given a new node. */
  readonly unpinnable?: ReadonlySet<string>;
  /** The node ID of the engine simulium talks to; null when it is not known. */
  readonly here: string | null;
}

export interface Placement {
  readonly pins: ReadonlyMap<string, SitePin>;
  /**
   * Sites that need a node and found none (rendered unpinned this pass), and sites whose
   * node no longer satisfies their constraints (their data services cannot start): with why.
   */
  readonly warnings: readonly { readonly site: string; readonly message: string }[];
}

/** Shared drivers (NFS through the local driver, or any other driver) need no pin. */
const SHARED_LOCAL_TYPES: ReadonlySet<string> = new Set(["nfs", "nfs4", "cifs"]);

export function nodeLocalVolumes(cluster: ResolvedCluster): boolean {
  return cluster.volumes.driver === "local" && !SHARED_LOCAL_TYPES.has(cluster.volumes.options.type ?? "");
}

/** A site holds node-local data when it has a database or volumes (which web, SFTP and SSH mount). */
export function holdsData(site: ResolvedSite): boolean {
  return site.database !== undefined || site.volumes.length > 0;
}

/**
 * Each site that holds node-local data → its node: the recorded pin if it has one, else (a
 * site without data services yet) the least loaded eligible node, by number of pinned sites.
 * Sites are placed in name order, each choice counting for the next, so a plan and the apply
 * that re-plans it choose the same.
 */
export function placeSites(input: PlacementInput): Placement {
  const pins = new Map<string, SitePin>();
  const warnings: { site: string; message: string }[] = [];
  if (!nodeLocalVolumes(input.cluster) || input.nodes.length === 0) return { pins, warnings };
  const load = new Map<string, number>();
  for (const node of input.pinned.values()) load.set(node, (load.get(node) ?? 0) + 1);
  const pin = (node: string): SitePin => ({ node, here: node === input.here });
  for (const site of [...input.sites].sort((a, b) => a.name.localeCompare(b.name))) {
    if (!holdsData(site)) continue;
    const recorded = input.pinned.get(site.name);
    if (recorded !== undefined) {
      pins.set(site.name, pin(recorded));
      const node = input.nodes.find((n) => n.id === recorded);
      const unmet = node ? site.placement.constraints.filter((c) => !satisfies(node, c)) : [];
      if (node && unmet.length > 0) warnings.push({ site: site.name, message: mismatchMessage(node, unmet) });
      continue;
    }
    if (input.unpinnable?.has(site.name)) continue;
    const node = chooseNode(input.nodes, load, site.placement.constraints);
    if (node === null) {
      warnings.push({ site: site.name, message: noNodeMessage(site.placement.constraints) });
      continue;
    }
    load.set(node, (load.get(node) ?? 0) + 1);
    pins.set(site.name, pin(node));
  }
  return { pins, warnings };
}

/**
 * The ready, active node that satisfies every constraint and holds the fewest pinned sites;
 * ties go to the lowest hostname, then ID. null when no node qualifies.
 */
export function chooseNode(nodes: readonly SwarmNode[], load: ReadonlyMap<string, number>, constraints: readonly string[]): string | null {
  const eligible = nodes.filter((n) => n.state === "ready" && n.availability === "active" && constraints.every((c) => satisfies(n, c)));
  eligible.sort((a, b) => (load.get(a.id) ?? 0) - (load.get(b.id) ?? 0) || a.hostname.localeCompare(b.hostname) || a.id.localeCompare(b.id));
  return eligible[0]?.id ?? null;
}

/** Whether a node can run a site's task: the reason it cannot, or null. */
export function unavailable(node: SwarmNode | undefined): string | null {
  if (node === undefined) return "not in the swarm";
  if (node.state !== "ready") return node.state;
  if (node.availability !== "active") return node.availability === "drain" ? "drained" : node.availability;
  return null;
}

/** Swarm's constraint syntax: `<attribute> == <value>` or `!=`, values compared as Swarm does. */
export function satisfies(node: SwarmNode, constraint: string): boolean {
  const m = /^\s*([^=!\s]+)\s*(==|!=)\s*(.*?)\s*$/.exec(constraint);
  if (!m) return false;
  const [, key = "", op, want = ""] = m;
  const have = attribute(node, key);
  // Swarm: an absent label never equals, and always differs.
  const equal = have !== undefined && (key.startsWith("node.labels.") || key.startsWith("engine.labels.") ? have === want : have.toLowerCase() === want.toLowerCase());
  return op === "==" ? equal : !equal;
}

function attribute(node: SwarmNode, key: string): string | undefined {
  switch (key) {
    case "node.id":
      return node.id;
    case "node.hostname":
      return node.hostname;
    case "node.role":
      return node.role;
    case "node.platform.os":
      return node.os;
    case "node.platform.arch":
      return node.arch;
  }
  if (key.startsWith("node.labels.")) return node.labels[key.slice("node.labels.".length)];
  if (key.startsWith("engine.labels.")) return node.engineLabels[key.slice("engine.labels.".length)];
  return undefined;
}

function mismatchMessage(node: SwarmNode, unmet: readonly string[]): string {
  return (
    `its data is on node ${node.hostname}, which does not satisfy spec.placement.constraints (${unmet.join(", ")}): ` +
    "its data services cannot start there and are never moved implicitly; put the constraints back, or move the site's data"
  );
}

function noNodeMessage(constraints: readonly string[]): string {
  const which = constraints.length ? ` satisfies spec.placement.constraints (${constraints.join(", ")})` : "";
  return `no ready, active node${which}: its data services are not pinned yet (they will be once a node qualifies)`;
}

/**
 * A site's rendered objects with its pin: every service that mounts a volume of the site runs
 * on the node (`node.id==…`, the volumes' options carried on the mounts so the node's engine
 * makes them right), the web service and those services carry the `simulium.node` label,
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
    volumes: Object.fromEntries(mounted.map((v) => [v.name, { driver: v.driver, options: v.options, labels: v.labels }])),
  };
}
