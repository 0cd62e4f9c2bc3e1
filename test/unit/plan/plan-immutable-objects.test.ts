import { makePlan } from "../../../controller/plan/plan";
import { cluster, desiredOf, site } from "../../fixtures/core/builders";
import { liveFromDesired } from "../../fixtures/core/live";

describe("plan: networks and volumes cannot change in place", () => {
  const live = liveFromDesired(desiredOf([site()]));

  it("warns about a volume driver change instead of recreating the volume", () => {
    const plan = makePlan(desiredOf([site()], { cluster: cluster({ volumes: { driver: "nfs", options: {} } }) }), live);
    expect(plan.actions.filter((a) => a.kind === "volume")).toEqual([]);
    expect(plan.warnings.map((w) => w.name).sort()).toEqual(["acme_db-data", "acme_files", "acme_private"]);
    expect(plan.warnings[0]?.message).toMatch(/driver is "local" but the manifests say "nfs"; volumes cannot be changed in place/);
    expect(plan.warnings[0]?.site).toBe("acme");
  });

  it("warns about a network whose driver was changed by hand", () => {
    const edited = { ...live, networks: live.networks.map((n) => (n.name === "acme_default" ? { ...n, driver: "bridge" } : n)) };
    const plan = makePlan(desiredOf([site()]), edited);
    expect(plan.actions).toEqual([]);
    expect(plan.warnings).toEqual([
      { site: "acme", name: "acme_default", message: expect.stringContaining("networks cannot be changed in place") },
    ]);
  });
});
