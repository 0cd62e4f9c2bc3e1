import type { BackendListEntry } from "../../../controller/varnish/admin-protocol";
import { degradedReason, siteOfBackend, siteRoutingHealth } from "../../../controller/varnish/backend-health";

const backend = (name: string, health: BackendListEntry["health"], adminHealth = "probe"): BackendListEntry => ({
  vcl: "s_1",
  name,
  type: "backend",
  adminHealth,
  health,
});
const director = (name: string, health: BackendListEntry["health"]): BackendListEntry => ({ vcl: "s_1", name, type: "round-robin", adminHealth: "probe", health });

describe("routing health per site from Varnish's backend list", () => {
  it("maps each web backend to its site, dashes included, leaving directors and tools out", () => {
    expect(siteOfBackend("b_acme_0")).toBe("acme");
    expect(siteOfBackend("b_my_shop_12")).toBe("my-shop");
    expect(siteOfBackend("d_acme")).toBeUndefined();
    expect(siteOfBackend("pmab_acme_0")).toBeUndefined();
    expect(siteOfBackend("default")).toBeUndefined();
    const health = siteRoutingHealth([
      { task: "t1", backends: [backend("b_acme_0", "healthy"), director("d_acme", "healthy"), backend("pmab_acme_0", "unknown"), backend("b_my_shop_0", "sick")] },
    ]);
    expect([...health.values()]).toEqual([
      { site: "acme", healthy: 1, sick: 0, tasks: 1, sickTasks: 0 },
      { site: "my-shop", healthy: 0, sick: 1, tasks: 1, sickTasks: 1 },
    ]);
  });

  it("calls a site degraded only when every backend of it is sick", () => {
    const health = siteRoutingHealth([{ task: "t1", backends: [backend("b_acme_0", "sick"), backend("b_acme_1", "healthy"), backend("b_beta_0", "sick"), backend("b_beta_1", "sick")] }]);
    expect(degradedReason(health.get("acme"))).toBeNull();
    expect(degradedReason(health.get("beta"))).toBe("varnish reports every backend sick");
    expect(health.get("beta")).toMatchObject({ healthy: 0, sick: 2 });
  });

  it("counts a probe not yet decided as routable, and honours an operator's forced health", () => {
    const health = siteRoutingHealth([
      { task: "t1", backends: [backend("b_fresh_0", "unknown"), backend("b_forced_0", "healthy", "sick"), backend("b_kept_0", "sick", "healthy")] },
    ]);
    expect(degradedReason(health.get("fresh"))).toBeNull();
    expect(degradedReason(health.get("forced"))).toBe("varnish reports every backend sick");
    expect(degradedReason(health.get("kept"))).toBeNull();
  });

  it("says on how many Varnish tasks a site is sick when the tasks disagree", () => {
    const health = siteRoutingHealth([
      { task: "t1", backends: [backend("b_acme_0", "sick")] },
      { task: "t2", backends: [backend("b_acme_0", "healthy")] },
    ]);
    expect(health.get("acme")).toEqual({ site: "acme", healthy: 1, sick: 1, tasks: 2, sickTasks: 1 });
    expect(degradedReason(health.get("acme"))).toBe("varnish reports every backend sick on 1 of 2 Varnish tasks");
  });

  it("knows nothing of a site no task routes (no verdict, not degraded)", () => {
    expect(siteRoutingHealth([]).size).toBe(0);
    expect(degradedReason(undefined)).toBeNull();
  });
});
