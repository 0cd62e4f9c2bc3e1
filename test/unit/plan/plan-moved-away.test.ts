import { LABEL } from "../../../controller/desired/labels";
import { MAX_SECRET_NAME } from "../../../controller/desired/names";
import { renderDesired } from "../../../controller/desired/render";
import type { LiveNode, LiveSecret, LiveState } from "../../../controller/live/types";
import { moveRecord } from "../../../controller/move/record";
import { makePlan } from "../../../controller/plan/plan";
import { planToJson, renderPlanText } from "../../../controller/plan/render";
import { isMutation } from "../../../controller/plan/types";
import { accessResources } from "../../../controller/access/render";
import { cluster, site } from "../../fixtures/core/builders";
import { liveFromDesired } from "../../fixtures/core/live";

/**
 * After `simulium move`, the old node keeps the site's volumes. The controller's engine does
 * not list another node's volumes, so the move leaves a record (a secret of the site) and the
 * plan shows each of them as retained, on that node, until the operator removes them.
 */
const node = (hostname: string): LiveNode => ({ id: `id-${hostname}`, hostname, role: "worker", ip: "", availability: "active", state: "ready", labels: {}, engineLabels: {}, os: "linux", arch: "x86_64" });
const nodes = [node("node1"), node("node2"), node("node3")];
const acme = site({ name: "acme" });
const pinnedTo = (n: string) => renderDesired({ sites: [acme], cluster: cluster(), pins: new Map([["acme", { node: n, here: false }]]), siteParts: [accessResources] });

function withRecord(live: LiveState, from: string): LiveState {
  const r = moveRecord("sim", "acme", from, ["acme_files", "acme_db-data", "acme_private"]);
  const secret: LiveSecret = { kind: "secret", id: "sec-record", name: r.name, site: "acme", labels: r.labels };
  return { ...live, secrets: [...live.secrets, secret], volumes: [], nodes };
}

describe("plan: volumes a move left on the old node", () => {
  const desired = pinnedTo("id-node3");
  const live = withRecord(liveFromDesired(desired), "id-node2");
  const plan = makePlan(desired, live);

  it("shows each as retained on that node, and changes nothing", () => {
    const kept = plan.actions.filter((a) => a.op === "retain");
    expect(kept.map((a) => `${a.kind} ${a.name} ${a.op === "retain" ? `${a.reason} ${a.node}` : ""}`)).toEqual([
      "volume acme_db-data moved-away node2",
      "volume acme_files moved-away node2",
      "volume acme_private moved-away node2",
    ]);
    expect(plan.actions.filter(isMutation)).toEqual([]);
    expect(plan.sites.find((s) => s.site === "acme")?.state).toBe("unchanged");
  });

  it("says so for people and for machines", () => {
    const text = renderPlanText(plan);
    expect(text).toContain("= volume acme_db-data is kept (data is never deleted implicitly) (on node node2, where simulium move copied the site from: remove it there when no longer needed)");
    expect(text).toContain("No changes. The swarm matches the manifests. 3 object(s) retained.");
    expect(planToJson(plan)).toMatchObject({ actions: expect.arrayContaining([expect.objectContaining({ op: "retain", kind: "volume", name: "acme_files", reason: "moved-away", node: "node2" })]) });
  });

  it("never removes the record, and shows nothing while the site is pinned to the record's node (a move stopped before its switch, or moved back)", () => {
    const back = pinnedTo("id-node2");
    const stopped = makePlan(back, withRecord(liveFromDesired(back), "id-node2"));
    expect(stopped.actions).toEqual([]);
    expect(plan.actions.some((a) => a.op === "delete")).toBe(false);
  });

  it("names the node by its ID once it has left the swarm", () => {
    const gone = makePlan(desired, { ...live, nodes: nodes.filter((n) => n.hostname !== "node2") });
    expect(gone.actions.filter((a) => a.op === "retain").map((a) => (a.op === "retain" ? a.node : ""))).toEqual(["id-node2", "id-node2", "id-node2"]);
  });

  it("the record's name fits Swarm's limit for a 40-character site name and is one per old node", () => {
    const long = "a".repeat(40);
    expect(moveRecord("sim", long, "x".repeat(25), []).name.length).toBeLessThanOrEqual(MAX_SECRET_NAME);
    expect(moveRecord("sim", "acme", "id-node2", []).name).toBe(moveRecord("sim", "acme", "id-node2", ["other"]).name);
    expect(moveRecord("sim", "acme", "id-node2", []).name).not.toBe(moveRecord("sim", "acme", "id-node3", []).name);
    expect(moveRecord("sim", "acme", "id-node2", ["b", "a"]).labels[LABEL.movedVolumes]).toBe("a,b");
  });
});
