import { placementProblem, SiteOnSwarm } from "../../../controller/siteimport/placement";
import { planImport } from "../../../controller/siteimport/plan";
import { bareSite, cluster, site } from "../../fixtures/core/builders";

const here = "n-here";
const there = "n-there";
const planFor = (s = site(), c = cluster()) => planImport({ cluster: c, sites: [s], invalidSites: [], errors: [] }, c, { site: s.name, repo: ".", files: "f.tar", image: "t" });
const swarm = (over: Partial<SiteOnSwarm> = {}): SiteOnSwarm => ({
  services: { web: true, db: true },
  tasks: [
    { role: "db", nodeId: here },
    { role: "web", nodeId: here },
  ],
  localNodeId: here,
  nodeNames: new Map([
    [here, "manager-1"],
    [there, "worker-7"],
  ]),
  ...over,
});

describe("placementProblem", () => {
  it("accepts a site that runs on this node (web scaled to 0 too)", () => {
    expect(placementProblem(planFor(), swarm())).toBeUndefined();
    expect(placementProblem(planFor(), swarm({ tasks: [{ role: "db", nodeId: here }] }))).toBeUndefined();
  });

  it("refuses a site that is not applied or whose database does not run", () => {
    expect(placementProblem(planFor(), swarm({ services: { web: false, db: false } }))).toBe("site acme is not applied: there is no service acme_web (simulium apply --site acme)");
    expect(placementProblem(planFor(), swarm({ services: { web: true, db: false } }))).toBe("site acme is not applied: there is no service acme_db (simulium apply --site acme)");
    expect(placementProblem(planFor(), swarm({ tasks: [{ role: "web", nodeId: here }] }))).toBe(
      "site acme's database service acme_db has no running task: wait for it, or look at simulium status acme",
    );
    const noDb = bareSite("plain", { volumes: [{ name: "files", mountPath: "/f", readOnly: false }] });
    expect(placementProblem(planFor(noDb), swarm({ services: { web: true, db: false }, tasks: [] }))).toBeUndefined();
  });

  it("with local volumes, names the node to run the import on", () => {
    expect(placementProblem(planFor(), swarm({ tasks: [{ role: "db", nodeId: there }] }))).toBe(
      "site acme runs on node worker-7 (its db service) and its volumes are local to that node: run simulium import on worker-7",
    );
    expect(placementProblem(planFor(), swarm({ tasks: [{ role: "db", nodeId: here }, { role: "web", nodeId: "n-gone" }] }))).toMatch(/runs on node n-gone \(its web service\)/);
  });

  it("with a shared volume driver, the site may run anywhere", () => {
    const c = cluster({ volumes: { driver: "nfs-plugin", options: {} } });
    expect(placementProblem(planFor(site(), c), swarm({ tasks: [{ role: "db", nodeId: there }] }))).toBeUndefined();
  });
});
