import { maintenanceLabel } from "../../../controller/plan/maintenance";
import { LABEL } from "../../../controller/desired/labels";
import type { LiveNode } from "../../../controller/live/types";
import { decideMove, MOVE_STEPS, MoveDecision, MoveInput, moveHoldOf, moveHoldWhat, resolveNode } from "../../../controller/move/decide";
import { bareSite, cluster, site } from "../../fixtures/core/builders";

const node = (hostname: string, o: Partial<LiveNode> = {}): LiveNode => ({
  id: `id-${hostname}-0123456789`,
  hostname,
  role: "worker",
  ip: "10.78.0.20",
  availability: "active",
  state: "ready",
  labels: {},
  engineLabels: {},
  os: "linux",
  arch: "x86_64",
  ...o,
});

const nodes = [node("node1", { role: "manager" }), node("node2"), node("node3")];
const now = Date.parse("2026-11-30T12:00:00Z");
const input = (o: Partial<MoveInput> = {}): MoveInput => ({ site: site({ name: "acme" }), cluster: cluster(), nodes, pinned: "id-node2-0123456789", to: "node3", serviceLabels: [], now, ...o });
const refusal = (d: MoveDecision): string => (d.kind === "refused" ? d.message : `not refused: ${JSON.stringify(d.plan.steps)}`);

describe("move: deciding whether a site may move", () => {
  it("plans every step, from the pinned node to the named one", () => {
    const d = decideMove(input());
    expect(d.kind).toBe("move");
    if (d.kind !== "move") return;
    expect(d.plan.from.hostname).toBe("node2");
    expect(d.plan.to.hostname).toBe("node3");
    expect(d.plan.steps).toEqual(MOVE_STEPS);
    expect(d.plan.steps).toEqual(["hold", "copy", "verify", "record", "switch", "start", "route"]);
    expect(d.plan.resumed).toBe(false);
  });

  it("refuses an unknown node, naming the swarm's nodes", () => {
    expect(refusal(decideMove(input({ to: "node9" })))).toBe('site acme: no node "node9" in the swarm: its nodes are node1 (id-node1-012), node2 (id-node2-012), node3 (id-node3-012)');
  });

  it("refuses a node that is not ready or not active", () => {
    const down = nodes.map((n) => (n.hostname === "node3" ? { ...n, state: "down" } : n));
    expect(refusal(decideMove(input({ nodes: down })))).toBe("site acme: node node3 is down: a site moves only to a ready, active node");
    const drained = nodes.map((n) => (n.hostname === "node3" ? { ...n, availability: "drain" } : n));
    expect(refusal(decideMove(input({ nodes: drained })))).toBe("site acme: node node3 is drained: a site moves only to a ready, active node");
    const paused = nodes.map((n) => (n.hostname === "node3" ? { ...n, availability: "pause" } : n));
    expect(refusal(decideMove(input({ nodes: paused })))).toMatch(/node node3 is pause/);
  });

  it("refuses the node the data is on already", () => {
    expect(refusal(decideMove(input({ to: "node2" })))).toBe("site acme: its data is already on node node2: nothing to move");
  });

  it("refuses a site without pinned data: no database and no volumes, not applied yet, or a shared volume driver", () => {
    expect(refusal(decideMove(input({ site: bareSite("lean") })))).toMatch(/^site lean: it has no database and no volumes: no data is pinned to a node/);
    expect(refusal(decideMove(input({ pinned: undefined })))).toMatch(/its data is not pinned to a node on the swarm yet: apply it first/);
    const nfs = cluster({ volumes: { driver: "local", options: { type: "nfs", o: "addr=10.0.0.5", device: ":/export" } } });
    expect(refusal(decideMove(input({ cluster: nfs })))).toMatch(/volumes use a shared driver .* nothing to move/);
  });

  it("refuses to copy from a node that cannot run the sending job, saying how to go on", () => {
    const drained = nodes.map((n) => (n.hostname === "node2" ? { ...n, availability: "drain" } : n));
    expect(refusal(decideMove(input({ nodes: drained })))).toMatch(/its data is on node node2, which is drained: .*docker node update --availability active node2, move, then drain it again/);
    expect(refusal(decideMove(input({ pinned: "id-gone" })))).toMatch(/pinned to node id-gone, which is no longer in the swarm/);
  });

  it("refuses a node the site's placement constraints exclude", () => {
    // The fixture site says node.role==worker.
    expect(refusal(decideMove(input({ to: "node1" })))).toBe("site acme: node node1 does not satisfy spec.placement.constraints (node.role==worker): its services could not start there");
  });

  it("finds the node by hostname, ID or unique ID prefix; an ambiguous prefix is refused", () => {
    expect(resolveNode(nodes, "node3")).toMatchObject({ hostname: "node3" });
    expect(resolveNode(nodes, "id-node3-0123456789")).toMatchObject({ hostname: "node3" });
    expect(resolveNode(nodes, "id-node3")).toMatchObject({ hostname: "node3" });
    expect(resolveNode(nodes, "id-node")).toBe("node ID prefix id-node is ambiguous (node1, node2, node3): give more of the ID");
    expect(resolveNode([...nodes, node("node3", { id: "other" })], "node3")).toMatch(/^2 nodes are called node3: name one by its ID/);
  });
});

describe("move: resuming an interrupted move", () => {
  const held = (what: string, until = now + 600_000) => ({ [LABEL.maintenance]: maintenanceLabel(what, new Date(until)) });

  it("reads the hold a move puts on the services", () => {
    expect(moveHoldOf(held(moveHoldWhat("a", "b")), now)).toEqual({ from: "a", to: "b" });
    expect(moveHoldOf(held("restore"), now)).toBeUndefined();
    expect(moveHoldOf(held(moveHoldWhat("a", "b"), now - 1), now)).toBeUndefined();
  });

  it("after the switch (the pin reads the new node, the hold is on), finishes the switch and starts the site", () => {
    const d = decideMove(input({ pinned: "id-node3-0123456789", serviceLabels: [held(moveHoldWhat("id-node2-0123456789", "id-node3-0123456789")), {}] }));
    expect(d.kind).toBe("move");
    if (d.kind !== "move") return;
    expect(d.plan.resumed).toBe(true);
    expect(d.plan.steps).toEqual(["record", "switch", "start", "route"]);
    expect(d.plan.from.hostname).toBe("node2");
  });

  it("before the switch (the pin still reads the old node), runs every step again", () => {
    const d = decideMove(input({ serviceLabels: [held(moveHoldWhat("id-node2-0123456789", "id-node3-0123456789"))] }));
    expect(d.kind === "move" && d.plan.steps).toEqual(MOVE_STEPS);
  });

  it("once the hold has expired (a reconcile started the site on the new node), there is nothing left", () => {
    const expired = held(moveHoldWhat("id-node2-0123456789", "id-node3-0123456789"), now - 1000);
    expect(refusal(decideMove(input({ pinned: "id-node3-0123456789", serviceLabels: [expired] })))).toBe("site acme: its data is already on node node3: nothing to move");
  });
});
