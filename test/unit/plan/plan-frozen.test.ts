import { makePlan } from "../../../controller/plan/plan";
import { desiredOf, site } from "../../fixtures/core/builders";
import { editShape, liveFromDesired } from "../../fixtures/core/live";
import { stateOf } from "./helpers";

describe("plan: frozen sites (suspended or invalid) are left exactly as they run", () => {
  const live = editShape(liveFromDesired(desiredOf([site({ name: "acme" }), site({ name: "beta" })])), "acme_web", { image: "hand-edited:1" });

  it("a suspended site's objects are untouched even when live differs", () => {
    const plan = makePlan(desiredOf([site({ name: "acme", suspend: true }), site({ name: "beta" })]), live);
    expect(plan.actions).toEqual([]);
    expect(stateOf(plan, "acme")).toBe("suspended");
    expect(stateOf(plan, "beta")).toBe("unchanged");
  });

  it("an invalid site's objects are untouched although the site is absent from the desired state", () => {
    const plan = makePlan(desiredOf([site({ name: "beta" })], { invalidSites: ["acme"] }), live);
    expect(plan.actions).toEqual([]);
    expect(stateOf(plan, "acme")).toBe("invalid");
  });

  it("a frozen site with no live objects is still reported", () => {
    const plan = makePlan(desiredOf([site({ name: "beta" }), site({ name: "new", suspend: true })], { invalidSites: ["broken"] }), live);
    expect(stateOf(plan, "new")).toBe("suspended");
    expect(stateOf(plan, "broken")).toBe("invalid");
    expect(plan.actions.some((a) => a.site === "new" || a.site === "broken")).toBe(false);
  });

  it("other sites are still converged while one is frozen", () => {
    const plan = makePlan(desiredOf([site({ name: "beta", web: { replicas: 4 } })], { invalidSites: ["acme"] }), live);
    expect(plan.actions.map((a) => `${a.op} ${a.name}`)).toEqual(["update beta_web"]);
  });
});
