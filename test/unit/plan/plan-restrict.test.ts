import { EMPTY_LIVE } from "../../../controller/live/types";
import { makePlan } from "../../../controller/plan/plan";
import { restrictPlan } from "../../../controller/plan/restrict";
import { desiredOf, site } from "../../fixtures/core/builders";

describe("restrict: apply --site", () => {
  const plan = makePlan(desiredOf([site({ name: "acme" }), site({ name: "beta" })]), EMPTY_LIVE);

  it("keeps only the named sites, plus the instance's shared objects", () => {
    const r = restrictPlan(plan, ["beta"]);
    expect(new Set(r.actions.map((a) => a.site))).toEqual(new Set([null, "beta"]));
    expect(r.actions.filter((a) => a.site === null).map((a) => a.name)).toEqual(["sim_admin", "sim_edge", "sim_tools"]);
    expect(r.sites).toEqual([{ site: "beta", state: "changed" }]);
  });

  it("is the whole plan when no site is named", () => {
    expect(restrictPlan(plan, [])).toBe(plan);
  });

  it("keeps the order of the full plan", () => {
    const r = restrictPlan(plan, ["acme"]);
    expect(r.actions).toEqual(plan.actions.filter((a) => a.site === null || a.site === "acme"));
  });
});
