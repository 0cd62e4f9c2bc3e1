import { holdsData, nodeLocalVolumes, SitePin } from "../desired/placement";
import type { ResolvedCluster, ResolvedSite } from "../manifests/types";
import { nodeSatisfies } from "../live/constraints";
import type { LiveNode } from "../live/types";

/**
 * Which node each site's data is pinned to (desired/placement.ts says why pins exist and how a
 * pinned site is rendered). Pure: nodes, recorded pins and manifests in, choices out.
 */

export interface PlacementInput {
  readonly sites: readonly ResolvedSite[];
  readonly cluster: ResolvedCluster;
  readonly nodes: readonly LiveNode[];
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
      const unmet = node ? site.placement.constraints.filter((c) => !nodeSatisfies([c], node)) : [];
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
export function chooseNode(nodes: readonly LiveNode[], load: ReadonlyMap<string, number>, constraints: readonly string[]): string | null {
  const eligible = nodes.filter((n) => unavailable(n) === null && nodeSatisfies(constraints, n));
  eligible.sort((a, b) => (load.get(a.id) ?? 0) - (load.get(b.id) ?? 0) || a.hostname.localeCompare(b.hostname) || a.id.localeCompare(b.id));
  return eligible[0]?.id ?? null;
}

/** Why a node cannot run a site's tasks now, or null when it can. */
export function unavailable(node: LiveNode | undefined): string | null {
  if (node === undefined) return "not in the swarm";
  if (node.state !== "ready") return node.state;
  if (node.availability !== "active") return node.availability === "drain" ? "drained" : node.availability;
  return null;
}

function mismatchMessage(node: LiveNode, unmet: readonly string[]): string {
  return (
    `its data is on node ${node.hostname}, which does not satisfy spec.placement.constraints (${unmet.join(", ")}): ` +
    "its data services cannot start there and are never moved implicitly; put the constraints back, or move the site's data"
  );
}

function noNodeMessage(constraints: readonly string[]): string {
  const which = constraints.length ? ` satisfies spec.placement.constraints (${constraints.join(", ")})` : "";
  return `no ready, active node${which}: its data services are not pinned yet (they will be once a node qualifies)`;
}
