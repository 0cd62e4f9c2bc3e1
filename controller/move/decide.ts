import { holdsData, nodeLocalVolumes } from "../desired/placement";
import { nodeSatisfies } from "../live/constraints";
import type { LiveNode } from "../live/types";
import type { ResolvedCluster, ResolvedSite } from "../manifests/types";
import { activeHold } from "../plan/maintenance";
import { unavailable } from "../plan/placement";

/**
 * `simulium move SITE --to NODE`, the decision: whether the move may run and which steps are
 * left. Pure: the manifests, the nodes and what the swarm records in, a plan or a refusal out.
 */

/**
 * The steps of a move, in order. Until `switch` the site's data is only read on its old node
 * (the copy goes to new volumes on the new node), so a move stopped before it leaves the old
 * site whole: the hold ends (or expires) and it serves from there again.
 */
export const MOVE_STEPS = ["hold", "copy", "verify", "record", "switch", "start", "route"] as const;
export type MoveStep = (typeof MOVE_STEPS)[number];

export const STEP_TEXT: Record<MoveStep, string> = {
  hold: "maintenance hold: the site's services scaled to 0 (nothing writes its data)",
  copy: "copy every volume (database included) from the old node to the new node's volumes of the same names",
  verify: "verify: the files' SHA-256 on both nodes must match",
  record: "record the old node's volumes as retained (shown by plan until removed there)",
  switch: "switch the pin: the site's services constrained to the new node",
  start: "end the hold: the services start on the new node",
  route: "re-sync routing to the site's new tasks",
};

export interface MovePlan {
  readonly site: string;
  readonly from: LiveNode;
  readonly to: LiveNode;
  /** What is left to do: every step, or the rest of a move interrupted in or after its switch. */
  readonly steps: readonly MoveStep[];
  readonly resumed: boolean;
}

export type MoveDecision = { readonly kind: "move"; readonly plan: MovePlan } | { readonly kind: "refused"; readonly message: string };

export interface MoveInput {
  readonly site: ResolvedSite;
  readonly cluster: ResolvedCluster;
  readonly nodes: readonly LiveNode[];
  /** The node the site's data is pinned to, as the swarm records it (live/pins.ts). */
  readonly pinned: string | undefined;
  /** The operator's NODE: an ID, a unique ID prefix or a hostname. */
  readonly to: string;
  /** Labels of the site's services: a move interrupted after its switch left them held. */
  readonly serviceLabels: readonly Readonly<Record<string, string>>[];
  readonly now: number;
}

const HOLD = /^move from (\S+) to (\S+)$/;

/** The maintenance hold a move puts on the site's services (plan/maintenance.ts's `what`). */
export function moveHoldWhat(from: string, to: string): string {
  return `move from ${from} to ${to}`;
}

/** The move a service is held for, if a hold in force says so. */
export function moveHoldOf(labels: Readonly<Record<string, string>>, now: number): { readonly from: string; readonly to: string } | undefined {
  const hold = activeHold(labels, now);
  const m = hold ? HOLD.exec(hold.what) : null;
  return m ? { from: m[1]!, to: m[2]! } : undefined;
}

export function decideMove(input: MoveInput): MoveDecision {
  const refuse = (message: string): MoveDecision => ({ kind: "refused", message: `site ${input.site.name}: ${message}` });
  const name = input.site.name;
  if (!nodeLocalVolumes(input.cluster)) {
    return refuse("volumes use a shared driver (simulium.yaml spec.volumes): its data is reachable from every node and pinned to none, so there is nothing to move");
  }
  if (!holdsData(input.site)) return refuse("it has no database and no volumes: no data is pinned to a node, so there is nothing to move (its tasks run on any node)");
  if (input.pinned === undefined) return refuse(`its data is not pinned to a node on the swarm yet: apply it first (simulium apply), then move it`);
  const to = resolveNode(input.nodes, input.to);
  if (typeof to === "string") return refuse(to);
  const from = input.nodes.find((n) => n.id === input.pinned);
  if (from === undefined) return refuse(`its data is pinned to node ${input.pinned}, which is no longer in the swarm: there is nothing left to copy from`);

  // The switch began (the pin reads the new node) and the hold is still on: the data was
  // verified before it. Its rest is idempotent: a service switched already is left as it is.
  const interrupted = input.serviceLabels.map((l) => moveHoldOf(l, input.now)).find((h) => h !== undefined && h.to === to.id && h.to === input.pinned);
  if (interrupted) {
    const old = input.nodes.find((n) => n.id === interrupted.from) ?? { ...from, id: interrupted.from, hostname: interrupted.from };
    return { kind: "move", plan: { site: name, from: old, to, steps: ["record", "switch", "start", "route"], resumed: true } };
  }
  if (to.id === from.id) return refuse(`its data is already on node ${label(to)}: nothing to move`);
  const toDown = unavailable(to);
  if (toDown !== null) return refuse(`node ${label(to)} is ${toDown}: a site moves only to a ready, active node`);
  const fromDown = unavailable(from);
  if (fromDown !== null) {
    return refuse(
      `its data is on node ${label(from)}, which is ${fromDown}: the copy runs a job there, which needs it ready and active ` +
        `(docker node update --availability active ${from.hostname || from.id}, move, then drain it again)`,
    );
  }
  const unmet = input.site.placement.constraints.filter((c) => !nodeSatisfies([c], to));
  if (unmet.length > 0) return refuse(`node ${label(to)} does not satisfy spec.placement.constraints (${unmet.join(", ")}): its services could not start there`);
  return { kind: "move", plan: { site: name, from, to, steps: MOVE_STEPS, resumed: false } };
}

/** The node the operator named (ID, hostname, or a unique ID prefix), or why none. */
export function resolveNode(nodes: readonly LiveNode[], wanted: string): LiveNode | string {
  const known = () => nodes.map((n) => `${n.hostname} (${n.id.slice(0, 12)})`).join(", ") || "none";
  if (wanted.trim() === "") return `no node given: the swarm's nodes are ${known()}`;
  const exact = nodes.find((n) => n.id === wanted);
  if (exact) return exact;
  const byName = nodes.filter((n) => n.hostname === wanted);
  if (byName.length === 1) return byName[0]!;
  if (byName.length > 1) return `${byName.length} nodes are called ${wanted}: name one by its ID (${byName.map((n) => n.id.slice(0, 12)).join(", ")})`;
  const byPrefix = nodes.filter((n) => n.id.startsWith(wanted));
  if (byPrefix.length === 1) return byPrefix[0]!;
  if (byPrefix.length > 1) return `node ID prefix ${wanted} is ambiguous (${byPrefix.map((n) => n.hostname).join(", ")}): give more of the ID`;
  return `no node ${JSON.stringify(wanted)} in the swarm: its nodes are ${known()}`;
}

const label = (n: LiveNode): string => n.hostname || n.id;
