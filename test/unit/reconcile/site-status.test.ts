import { LABEL } from "../../../controller/desired/labels";
import type { LiveState } from "../../../controller/live/types";
import { EMPTY_LIVE } from "../../../controller/live/types";
import { makePlan } from "../../../controller/plan/plan";
import { siteStatuses, type SiteStatus } from "../../../controller/reconcile/status";
import { renderDesired } from "../../../controller/desired/render";
import type { LiveNode } from "../../../controller/live/types";
import { siteRoutingHealth } from "../../../controller/varnish/backend-health";
import { cluster, desiredOf, site } from "../../fixtures/core/builders";
import { editService, editShape, liveFromDesired, task } from "../../fixtures/core/live";

const statusOf = (statuses: SiteStatus[], name: string): SiteStatus => {
  const s = statuses.find((x) => x.site === name);
  if (!s) throw new Error(`no status for ${name}`);
  return s;
};

describe("status: one health per site", () => {
  const desired = desiredOf([site({ name: "acme" })]);
  const live = liveFromDesired(desired, { commit: "1a2b3c" });

  it("is converged when every service runs its spec, with the commit from the web service", () => {
    const s = statusOf(siteStatuses(live, makePlan(desired, live)), "acme");
    expect(s).toEqual({ site: "acme", state: "converged", commit: "1a2b3c", tasks: { running: 3, desired: 3 }, lastError: null });
  });

  it("takes the commit from web even if the database was last applied at another commit", () => {
    const mixed = editService(live, "acme_db", (s) => ({ ...s, labels: { ...s.labels, [LABEL.commit]: "old" } }));
    expect(statusOf(siteStatuses(mixed, null), "acme").commit).toBe("1a2b3c");
  });

  it("works without a plan (manifests unreadable): live health only", () => {
    expect(statusOf(siteStatuses(live, null), "acme").state).toBe("converged");
  });

  it("is progressing while tasks are missing", () => {
    const starting: LiveState = { ...live, tasks: live.tasks.slice(1) };
    const s = statusOf(siteStatuses(starting, null), "acme");
    expect(s.state).toBe("progressing");
    expect(s.tasks).toEqual({ running: 2, desired: 3 });
  });

  it("is failed, with the service and the reason, after a rolled-back update", () => {
    const rolled = editService(live, "acme_web", (s) => ({ ...s, updateState: "rollback_completed", updateMessage: "update rolled back" }));
    const web = rolled.services.find((s) => s.name === "acme_web")!;
    const broken = task(web, { ...web.shape, image: "nope:1" }, { state: "rejected", error: "No such image: nope:1", id: "bad" });
    const s = statusOf(siteStatuses({ ...rolled, tasks: [...rolled.tasks, broken] }, null), "acme");
    expect(s.state).toBe("failed");
    expect(s.lastError).toMatch(/^acme_web: .*update rolled back/);
  });

  it("is drifted when the plan puts back a hand edit, though everything runs", () => {
    const edited = editShape(live, "acme_web", { replicas: 1 });
    const web = edited.services.find((s) => s.name === "acme_web")!;
    const tasks = edited.tasks.filter((t) => t.serviceId !== web.id || t.slot === 1);
    const driftedLive = { ...edited, tasks };
    expect(statusOf(siteStatuses(driftedLive, makePlan(desired, driftedLive)), "acme").state).toBe("drifted");
  });

  it("is converged, not drifted, when the plan's update is a manifest change", () => {
    const plan = makePlan(desiredOf([site({ name: "acme", web: { replicas: 5 } })]), live);
    expect(statusOf(siteStatuses(live, plan), "acme").state).toBe("converged");
  });

  it("is pending for a declared site not created yet", () => {
    const plan = makePlan(desired, EMPTY_LIVE);
    expect(statusOf(siteStatuses(EMPTY_LIVE, plan), "acme")).toEqual({ site: "acme", state: "pending", commit: null, tasks: { running: 0, desired: 0 }, lastError: null });
  });

  it("is retained for a removed site whose data is kept", () => {
    const dataOnly: LiveState = { ...live, services: [], networks: live.networks.filter((n) => n.site !== "acme"), tasks: [] };
    expect(statusOf(siteStatuses(dataOnly, makePlan(desiredOf([]), dataOnly)), "acme").state).toBe("retained");
    expect(statusOf(siteStatuses(dataOnly, null), "acme").state).toBe("retained");
  });

  it("is suspended or invalid as the plan says, whatever runs", () => {
    const failing = editService(live, "acme_web", (s) => ({ ...s, updateState: "rollback_completed" }));
    expect(statusOf(siteStatuses(failing, makePlan(desiredOf([site({ name: "acme", suspend: true })]), failing)), "acme").state).toBe("suspended");
    expect(statusOf(siteStatuses(failing, makePlan(desiredOf([], { invalidSites: ["acme"] }), failing)), "acme").state).toBe("invalid");
  });

  it("lists every site from live and plan, sorted, and never the shared objects", () => {
    const plan = makePlan(desiredOf([site({ name: "acme" }), site({ name: "zed" }), site({ name: "beta", suspend: true })]), live);
    expect(siteStatuses(live, plan).map((s) => `${s.site}:${s.state}`)).toEqual(["acme:converged", "beta:suspended", "zed:pending"]);
  });

  describe("with Varnish's view of the backends", () => {
    const backends = (health: "healthy" | "sick") => [
      { vcl: "s_1", name: "b_acme_0", type: "backend", adminHealth: "probe", health },
      { vcl: "s_1", name: "b_acme_1", type: "backend", adminHealth: "probe", health },
    ];

    it("is degraded, not converged, when Varnish reports every backend of the site sick", () => {
      const routing = siteRoutingHealth([{ task: "v1", backends: backends("sick") }]);
      const s = statusOf(siteStatuses(live, makePlan(desired, live), routing), "acme");
      expect(s.state).toBe("degraded");
      expect(s.lastError).toBe("varnish reports every backend sick");
      expect(s.routing).toEqual({ healthy: 0, sick: 2, tasks: 1, sickTasks: 1 });
    });

    it("stays converged with a healthy backend, and says what Varnish reported", () => {
      const routing = siteRoutingHealth([{ task: "v1", backends: backends("healthy") }]);
      const s = statusOf(siteStatuses(live, makePlan(desired, live), routing), "acme");
      expect(s.state).toBe("converged");
      expect(s.lastError).toBeNull();
      expect(s.routing).toEqual({ healthy: 2, sick: 0, tasks: 1, sickTasks: 0 });
    });

    it("keeps a worse state (failed, progressing) as it is: those already explain the 503", () => {
      const routing = siteRoutingHealth([{ task: "v1", backends: backends("sick") }]);
      const starting: LiveState = { ...live, tasks: live.tasks.slice(1) };
      expect(statusOf(siteStatuses(starting, null, routing), "acme").state).toBe("progressing");
    });
  });
});

describe("status: a site whose data node cannot run it", () => {
  const pins = new Map([["acme", { node: "n2", here: false }]]);
  const desired = renderDesired({ sites: [site({ name: "acme" })], cluster: cluster(), pins });
  const live = liveFromDesired(desired);
  const node = (availability: string, state = "ready"): LiveNode => ({ id: "n2", hostname: "node2", role: "worker", ip: "10.78.0.12", availability, state, labels: {}, engineLabels: {}, os: "linux", arch: "x86_64" });
  const db = live.services.find((s) => s.name === "acme_db")!;
  // Drained: Swarm shut the database task down and keeps its replacement pending.
  const pending = { ...live, tasks: live.tasks.filter((t) => t.serviceId !== db.id) };

  it("is degraded, naming the node, while it is drained or down", () => {
    for (const [n, why] of [[node("drain"), "drained"], [node("active", "down"), "down"], [node("pause"), "pause"]] as const) {
      const s = statusOf(siteStatuses({ ...pending, nodes: [n] }, makePlan(desired, pending)), "acme");
      expect(s.state).toBe("degraded");
      expect(s.lastError).toBe(`node node2 unavailable (${why})`);
    }
    expect(statusOf(siteStatuses({ ...pending, nodes: [] }, null), "acme").lastError).toBe("node n2 unavailable (not in the swarm)");
  });

  it("names the pinned node and why it is unavailable, for notifications and metrics; null once it is back", () => {
    expect(statusOf(siteStatuses({ ...pending, nodes: [node("drain")] }, null), "acme").node).toEqual({ id: "n2", hostname: "node2", unavailable: "drained" });
    expect(statusOf(siteStatuses({ ...pending, nodes: [node("active", "down")] }, null), "acme").node).toEqual({ id: "n2", hostname: "node2", unavailable: "down" });
    expect(statusOf(siteStatuses({ ...live, nodes: [node("active")] }, null), "acme").node).toEqual({ id: "n2", hostname: "node2", unavailable: null });
    // Nodes not read (a plan without the swarm's nodes): nothing is claimed.
    expect(statusOf(siteStatuses(live, null), "acme").node).toBeUndefined();
  });

  it("is converged again once the node is active and the tasks run", () => {
    expect(statusOf(siteStatuses({ ...live, nodes: [node("active")] }, makePlan(desired, live)), "acme")).toMatchObject({ state: "converged", lastError: null });
  });
});
