import { desiredOf, site } from "../../fixtures/core/builders";

describe("render: suspended and invalid sites are frozen", () => {
  it("renders nothing for a suspended site and freezes it", () => {
    const d = desiredOf([site({ name: "acme", suspend: true }), site({ name: "beta" })]);
    expect(d.resources.filter((r) => r.site === "acme")).toEqual([]);
    expect(d.resources.some((r) => r.site === "beta")).toBe(true);
    expect(d.suspendedSites).toEqual(["acme"]);
    expect(d.frozenSites).toEqual(["acme"]);
    expect(d.sites).toEqual(["acme", "beta"]);
  });

  it("freezes an invalid site without declaring it", () => {
    const d = desiredOf([site({ name: "beta" })], { invalidSites: ["broken"] });
    expect(d.frozenSites).toEqual(["broken"]);
    expect(d.sites).toEqual(["beta"]);
    expect(d.suspendedSites).toEqual([]);
    expect(d.resources.some((r) => r.site === "broken")).toBe(false);
  });

  it("still renders the shared edge network with no sites at all", () => {
    const d = desiredOf([]);
    expect(d.resources.map((r) => r.name)).toEqual(["sim_edge", "sim_admin", "sim_tools"]);
    expect(d.instance).toBe("sim");
  });
});
