import { LABEL } from "../../../controller/desired/labels";
import type { LiveState } from "../../../controller/live/types";
import { makePlan } from "../../../controller/plan/plan";
import { summaryLine } from "../../../controller/plan/render";
import { bareSite, cluster, desiredOf, site } from "../../fixtures/core/builders";
import { editService, liveFromDesired } from "../../fixtures/core/live";
import { stateOf } from "./helpers";

describe("plan: an unchanged repository is no change", () => {
  const sites = [site({ name: "acme" }), site({ name: "beta", web: { command: ["apache2-foreground"] } }), bareSite("gamma")];

  it.each(["vip", "dnsrr"] as const)("live as apply left it (%s) → zero actions", (endpointMode) => {
    const desired = desiredOf(sites, { cluster: cluster({ endpointMode }) });
    const plan = makePlan(desired, liveFromDesired(desired));
    expect(plan.actions).toEqual([]);
    expect(plan.warnings).toEqual([]);
    expect(plan.sites.map((s) => s.state)).toEqual(["unchanged", "unchanged", "unchanged"]);
    expect(summaryLine(plan)).toBe("No changes. The swarm matches the manifests.");
  });

  it("ten reconciles over an unchanged repo make zero updates (each from a fresh render)", () => {
    let live: LiveState = liveFromDesired(desiredOf(sites));
    let mutations = 0;
    for (let tick = 0; tick < 10; tick++) {
      const desired = desiredOf(sites.map((s) => ({ ...s })));
      const plan = makePlan(desired, live);
      mutations += plan.actions.filter((a) => a.op !== "retain").length;
      live = liveFromDesired(desired, { commit: `commit-${tick}` });
    }
    expect(mutations).toBe(0);
  });

  it("a new commit that changes no spec (only the commit label differs) updates nothing", () => {
    const desired = desiredOf(sites);
    const live = liveFromDesired(desired, { commit: "old" });
    expect(live.services[0]?.labels[LABEL.commit]).toBe("old");
    expect(makePlan(desired, live).actions).toEqual([]);
  });

  it("a live service whose spec-hash label was lost is still compared field by field, not updated", () => {
    const desired = desiredOf(sites);
    const live = editService(liveFromDesired(desired), "acme_web", (s) => {
      const labels: Record<string, string> = { ...s.labels };
      delete labels[LABEL.specHash];
      return { ...s, labels };
    });
    expect(makePlan(desired, live).actions).toEqual([]);
  });

  it("an unchanged site among changed ones stays unchanged", () => {
    const desired = desiredOf(sites);
    const changed = desiredOf([site({ name: "acme", web: { image: "drupal:11" } }), ...sites.slice(1)]);
    const plan = makePlan(changed, liveFromDesired(desired));
    expect(stateOf(plan, "acme")).toBe("changed");
    expect(stateOf(plan, "beta")).toBe("unchanged");
  });
});
