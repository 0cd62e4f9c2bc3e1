import { accessResources } from "../../../controller/access/render";
import { LABEL } from "../../../controller/desired/labels";
import type { SitePin } from "../../../controller/desired/placement";
import type { LiveNode } from "../../../controller/live/types";
import { chooseNode, placeSites } from "../../../controller/plan/placement";
import { renderDesired, renderSite } from "../../../controller/desired/render";
import { jobServiceSpec } from "../../../controller/jobs/job-spec";
import { toolsJobSpec } from "../../../controller/jobs/tools-job";
import type { DesiredState, ServiceSpec } from "../../../controller/desired/types";
import { livePins } from "../../../controller/live/pins";
import { EMPTY_LIVE, type LiveState } from "../../../controller/live/types";
import { makePlan } from "../../../controller/plan/plan";
import { isMutation } from "../../../controller/plan/types";
import { serviceSpecToApi } from "../../../controller/apply/service-spec";
import { bareSite, cluster, site } from "../../fixtures/core/builders";
import { IDS, liveFromDesired } from "../../fixtures/core/live";
import { find } from "../desired/helpers";

const node = (hostname: string, o: Partial<LiveNode> = {}): LiveNode => ({
  id: `id-${hostname}`,
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

const nodes = [node("node1", { role: "manager" }), node("node2"), node("node3", { labels: { zone: "b" } })];
const none = new Map<string, string>();
const noLoad = new Map<string, number>();

describe("placement: choosing a site's node", () => {
  it("takes the node with the fewest pinned sites, ties to the lowest hostname", () => {
    expect(chooseNode(nodes, noLoad, [])).toBe("id-node1");
    expect(chooseNode(nodes, new Map([["id-node1", 1]]), [])).toBe("id-node2");
    expect(chooseNode(nodes, new Map([["id-node1", 2], ["id-node2", 1], ["id-node3", 1]]), [])).toBe("id-node2");
  });

  it("never chooses a drained, paused or down node", () => {
    const unusable = [node("a", { availability: "drain" }), node("b", { availability: "pause" }), node("c", { state: "down" }), node("d")];
    expect(chooseNode(unusable, noLoad, [])).toBe("id-d");
    expect(chooseNode(unusable.slice(0, 3), noLoad, [])).toBeNull();
  });

  it("honours the site's placement constraints (role, hostname, node and engine labels)", () => {
    expect(chooseNode(nodes, noLoad, ["node.role==worker"])).toBe("id-node2");
    expect(chooseNode(nodes, noLoad, ["node.labels.zone==b"])).toBe("id-node3");
    expect(chooseNode(nodes, noLoad, ["node.hostname!=node1", "node.labels.zone!=b"])).toBe("id-node2");
    expect(chooseNode(nodes, noLoad, ["node.labels.zone==c"])).toBeNull();
    // The matching itself is Swarm's (live/constraints.ts, tested there).
    expect(chooseNode([node("x", { engineLabels: { ssd: "yes" } }), node("a")], noLoad, ["engine.labels.ssd==yes"])).toBe("id-x");
  });

  it("spreads new sites over the nodes, each choice counting for the next, the same way on every pass", () => {
    const sites = ["a", "b", "c", "d"].map((name) => site({ name, placement: { constraints: [] } }));
    const input = { sites, cluster: cluster(), nodes, pinned: none, here: "id-node1" };
    const first = placeSites(input).pins;
    expect([...first].map(([s, p]) => `${s}@${p.node}`)).toEqual(["a@id-node1", "b@id-node2", "c@id-node3", "d@id-node1"]);
    expect(placeSites(input).pins).toEqual(first);
    expect(first.get("a")).toEqual({ node: "id-node1", here: true });
    expect(first.get("b")).toEqual({ node: "id-node2", here: false });
  });

  it("keeps a recorded pin, even on a drained or vanished node, and counts it as load", () => {
    const drained = nodes.map((n) => (n.hostname === "node2" ? { ...n, availability: "drain" } : n));
    const pinned = new Map([["old", "id-node2"], ["gone", "id-node9"], ["other", "id-node1"]]);
    const sites = [site({ name: "old" }), site({ name: "gone" }), site({ name: "new", placement: { constraints: [] } })];
    const { pins } = placeSites({ sites, cluster: cluster(), nodes: drained, pinned, here: "id-node1" });
    expect(pins.get("old")?.node).toBe("id-node2");
    expect(pins.get("gone")?.node).toBe("id-node9");
    expect(pins.get("new")?.node).toBe("id-node3");
  });

  it("keeps the pin but warns when the node no longer satisfies the site's constraints", () => {
    const { pins, warnings } = placeSites({ sites: [site({ name: "acme", placement: { constraints: ["node.labels.zone==b"] } })], cluster: cluster(), nodes, pinned: new Map([["acme", "id-node2"]]), here: null });
    expect(pins.get("acme")?.node).toBe("id-node2");
    expect(warnings).toEqual([{ site: "acme", message: expect.stringMatching(/^its data is on node node2, which does not satisfy spec.placement.constraints \(node.labels.zone==b\)/) }]);
  });

  it("gives no new node to a site whose data services run without a recorded pin", () => {
    const { pins } = placeSites({ sites: [site({ name: "legacy" })], cluster: cluster(), nodes, pinned: none, unpinnable: new Set(["legacy"]), here: null });
    expect(pins.size).toBe(0);
  });

  it("pins nothing with a shared volume driver, nor a site without data", () => {
    const sites = [site({ name: "data" }), bareSite("stateless")];
    for (const c of [cluster({ volumes: { driver: "local", options: { type: "nfs", o: "addr=10.0.0.5", device: ":/export" } } }), cluster({ volumes: { driver: "rexray/efs", options: {} } })]) {
      expect(placeSites({ sites, cluster: c, nodes, pinned: none, here: null }).pins.size).toBe(0);
    }
    expect([...placeSites({ sites, cluster: cluster(), nodes, pinned: none, here: null }).pins.keys()]).toEqual(["data"]);
  });

  it("says why a site that needs a node found none", () => {
    const placed = placeSites({ sites: [site({ name: "acme" })], cluster: cluster(), nodes: [node("m", { role: "manager" })], pinned: none, here: null });
    expect(placed.pins.size).toBe(0);
    expect(placed.warnings).toEqual([{ site: "acme", message: expect.stringMatching(/no ready, active node satisfies spec.placement.constraints \(node.role==worker\)/) }]);
  });
});

const pinnedDesired = (pin: SitePin): DesiredState => {
  const acme = site({ name: "acme", access: { sftp: { image: "sftp:1", port: 2222, keys: ["ssh-ed25519 AAAA k"], volume: "files" }, phpmyadmin: { image: "pma:1", domain: "db.acme.example.org", user: "admin" } } });
  return renderDesired({ sites: [acme, bareSite("lean", { database: site().database })], cluster: cluster(), pins: new Map([["acme", pin], ["lean", pin]]), siteParts: [accessResources] });
};

describe("placement: a pinned site's objects", () => {
  const desired = pinnedDesired({ node: "id-node2", here: false });

  it("constrains every service that mounts the site's volumes to the node, and labels them", () => {
    for (const name of ["acme_web", "acme_db", "acme_sftp", "lean_db"]) {
      const s = find(desired, "service", name);
      expect(s.shape.constraints).toContain("node.id==id-node2");
      expect(s.labels[LABEL.node]).toBe("id-node2");
    }
    // The site's own constraints stay.
    expect(find(desired, "service", "acme_db").shape.constraints).toEqual(["node.id==id-node2", "node.role==worker"]);
  });

  it("leaves services without volumes free to run anywhere; web still records the pin", () => {
    expect(find(desired, "service", "acme_phpmyadmin").shape.constraints).not.toContain("node.id==id-node2");
    const leanWeb = find(desired, "service", "lean_web");
    expect(leanWeb.shape.constraints).not.toContain("node.id==id-node2");
    expect(leanWeb.labels[LABEL.node]).toBe("id-node2");
  });

  it("has the node's engine make the volumes, with their labels and options, from the mounts", () => {
    expect(find(desired, "volume", "acme_db-data").onNode).toBe("id-node2");
    const api = serviceSpecToApi(find(desired, "service", "acme_db"), {}, IDS);
    const mount = api.TaskTemplate?.ContainerSpec?.Mounts?.[0];
    expect(mount?.VolumeOptions?.DriverConfig).toEqual({ Name: "local", Options: {} });
    expect(mount?.VolumeOptions?.Labels).toMatchObject({ [LABEL.instance]: "sim", [LABEL.site]: "acme", [LABEL.node]: "id-node2" });
  });

  it("makes volumes through the API when the node is the controller's own, and leaves the mounts as they were", () => {
    const here = pinnedDesired({ node: "id-node1", here: true });
    expect(find(here, "volume", "acme_db-data").onNode).toBeUndefined();
    const mount = serviceSpecToApi(find(here, "service", "acme_db"), {}, IDS).TaskTemplate?.ContainerSpec?.Mounts?.[0];
    expect(mount?.VolumeOptions).toBeUndefined();
  });

  it("records the pin on the secrets, which outlive the services of a removed site", () => {
    const secrets = desired.resources.filter((r) => r.kind === "secret" && r.site === "acme");
    expect(secrets.length).toBeGreaterThan(0);
    for (const s of secrets) expect(s.labels[LABEL.node]).toBe("id-node2");
  });
});

describe("placement: plan and live read-back over passes", () => {
  // What the controller sees after applying a site pinned to another node: the volumes were made
  // by that node's engine, so the manager's volume list does not have them.
  const desired = pinnedDesired({ node: "id-node2", here: false });
  const applied = liveFromDesired(desired);
  const seen: LiveState = { ...applied, volumes: [] };

  it("does not create a volume its node makes, and the second pass is empty", () => {
    const first = makePlan(desired, EMPTY_LIVE);
    expect(first.actions.filter((a) => a.kind === "volume")).toEqual([]);
    // The plan says where the new site's data goes.
    expect(first.actions.find((a) => a.name === "acme_db")?.changes).toContainEqual({ field: "node", op: "+", after: "id-node2" });
    expect(first.actions.find((a) => a.name === "acme_phpmyadmin")?.changes.map((c) => c.field)).toEqual(["image", "replicas"]);
    expect(makePlan(desired, seen).actions).toEqual([]);
  });

  it("creates the volumes through the API when the site is pinned to the controller's node", () => {
    const here = pinnedDesired({ node: "id-node1", here: true });
    const creates = makePlan(here, EMPTY_LIVE).actions.filter((a) => a.kind === "volume");
    expect(creates.map((a) => a.name).sort()).toEqual(["acme_db-data", "acme_files", "acme_private", "lean_db-data"]);
  });

  it("reads the pin back from the services, so the next pass renders the same", () => {
    expect(livePins(seen).pinned.get("acme")).toBe("id-node2");
    const again = placeSites({ sites: [site({ name: "acme" })], cluster: cluster(), nodes, ...livePins(seen), here: "id-node1" });
    expect(again.pins.get("acme")).toEqual({ node: "id-node2", here: false });
  });

  it("reads it from the secrets when the services are gone (a removed site whose data was retained)", () => {
    expect(livePins({ ...seen, services: [], tasks: [] }).pinned.get("acme")).toBe("id-node2");
  });

  it("adopts the node a site deployed before pinning runs its database on; without a running task, none", () => {
    const legacy = liveFromDesired(renderDesired({ sites: [site({ name: "old" })], cluster: cluster() }));
    const db = legacy.services.find((s) => s.name === "old_db");
    const tasks = legacy.tasks.map((t) => (t.serviceId === db?.id ? { ...t, nodeId: "id-node3" } : { ...t, nodeId: "id-node1" }));
    expect(livePins({ ...legacy, tasks }).pinned.get("old")).toBe("id-node3");
    const stopped = livePins({ ...legacy, tasks: [] });
    expect(stopped.pinned.has("old")).toBe(false);
    expect(stopped.unpinnable.has("old")).toBe(true);
  });
});

describe("placement: jobs of a pinned site", () => {
  const acme = site({ name: "acme" });
  const pin = { node: "id-node3", here: false };

  // Crons run in web as the engine has it (jobs/site-web.ts runningWebSpec): its constraint included.
  it("run where its volumes are: tools jobs (backup, restore, import) and jobs in the rendered web (exec)", () => {
    const rendered = renderSite(acme, cluster(), pin);
    const tools = toolsJobSpec(acme, rendered, { image: "tools:1", volumesWritable: true });
    expect(tools.shape.constraints).toContain("node.id==id-node3");
    const web = rendered.find((r): r is ServiceSpec => r.kind === "service" && r.role === "web");
    if (!web) throw new Error("no web");
    const job = jobServiceSpec(web, "acme_job", ["true"], IDS, new Date());
    expect(job.TaskTemplate?.Placement?.Constraints).toContain("node.id==id-node3");
    // A job that is the first to mount a volume on the node makes it as the site's.
    expect(job.TaskTemplate?.ContainerSpec?.Mounts?.every((m) => m.VolumeOptions?.Labels?.[LABEL.site] === "acme")).toBe(true);
  });
});

describe("placement: web of a site without a node pin spreads over the nodes", () => {
  const spreadPref = [{ Spread: { SpreadDescriptor: "node.id" } }];
  const shared = cluster({ volumes: { driver: "local", options: { type: "nfs", o: "addr=10.78.0.1", device: ":/export" } } });

  it("a site without data (no pin), and every site on a shared volume driver: web spreads by node.id, nothing is pinned", () => {
    const stateless = renderDesired({ sites: [bareSite("stateless")], cluster: cluster(), pins: new Map() });
    expect(find(stateless, "service", "stateless_web").shape.spread).toEqual(["node.id"]);
    expect(serviceSpecToApi(find(stateless, "service", "stateless_web"), {}, IDS).TaskTemplate?.Placement).toEqual({ Constraints: ["node.role==worker"], Preferences: spreadPref });

    const sites = [site({ name: "data" })];
    const onShared = renderDesired({ sites, cluster: shared, pins: placeSites({ sites, cluster: shared, nodes, pinned: none, here: null }).pins });
    const web = find(onShared, "service", "data_web");
    expect(web.shape.spread).toEqual(["node.id"]);
    for (const s of onShared.resources.filter((r): r is ServiceSpec => r.kind === "service")) expect(s.shape.constraints.filter((c) => c.startsWith("node.id=="))).toEqual([]);
    // The database is one task: no preference.
    expect(find(onShared, "service", "data_db").shape.spread).toBeUndefined();
  });

  it("pinned services are rendered as before: no preference (their node is one), no change of shape", () => {
    const desired = pinnedDesired({ node: "id-node2", here: false });
    for (const s of desired.resources.filter((r): r is ServiceSpec => r.kind === "service")) expect(s.shape.spread).toBeUndefined();
    expect(serviceSpecToApi(find(desired, "service", "acme_web"), {}, IDS).TaskTemplate?.Placement).toEqual({ Constraints: ["node.id==id-node2", "node.role==worker"] });
  });

  it("a site with data still waiting for a node (none qualified yet) does not spread, so it is not updated again once pinned", () => {
    const desired = renderDesired({ sites: [site({ name: "acme" })], cluster: cluster(), pins: new Map() });
    expect(find(desired, "service", "acme_web").shape.spread).toBeUndefined();
  });

  it("reads back equal (no perpetual diff), and a live service without the preference is a change", () => {
    const desired = renderDesired({ sites: [bareSite("stateless")], cluster: cluster(), pins: new Map() });
    const live = liveFromDesired(desired);
    expect(makePlan(desired, live).actions.filter(isMutation)).toEqual([]);
    const before: LiveState = { ...live, services: live.services.map((s) => (s.name === "stateless_web" ? { ...s, shape: { ...s.shape, spread: undefined } } : s)) };
    const web = makePlan(desired, before).actions.find((a) => a.kind === "service" && a.name === "stateless_web");
    // A placement-only update: Swarm keeps the running tasks, and no deploy hook runs.
    expect(web).toMatchObject({ op: "update", deploy: false, changes: [{ field: "placement.spread[node.id]", op: "+", after: "set" }] });
  });
});
