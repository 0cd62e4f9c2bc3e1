import { LABEL } from "../../../controller/desired/labels";
import { activeHold, maintenanceLabel } from "../../../controller/plan/maintenance";
import { makePlan } from "../../../controller/plan/plan";
import { planToJson, renderPlanText, summaryLine } from "../../../controller/plan/render";
import { isMutation } from "../../../controller/plan/types";
import { desiredOf, site } from "../../fixtures/core/builders";
import { editService, liveFromDesired } from "../../fixtures/core/live";

const NOW = Date.parse("2026-11-25T14:00:00Z");

describe("plan: a web service held by a restore or an import", () => {
  const desired = desiredOf([site()]);
  // What a restore leaves while it runs: web scaled to 0, labelled until when.
  const restoring = (until: string) =>
    editService(liveFromDesired(desired), "acme_web", (s) => ({
      ...s,
      shape: { ...s.shape, replicas: 0 },
      labels: { ...s.labels, [LABEL.maintenance]: `restore until ${until}` },
    }));

  it("is left alone while the hold is in force: a hold action in the plan (not a change) and a warning saying why", () => {
    const plan = makePlan(desired, restoring("2026-11-25T14:30:00.000Z"), [], NOW);
    expect(plan.actions).toHaveLength(1);
    expect(plan.actions[0]).toMatchObject({ op: "hold", kind: "service", site: "acme", name: "acme_web", what: "restore", until: "2026-11-25T14:30:00.000Z", phase: "Sync", wave: 1 });
    // The changes that wait for the hold to end.
    expect(plan.actions[0]?.changes).toEqual([{ field: "replicas", op: "~", before: "0", after: "2" }]);
    expect(plan.actions.some(isMutation)).toBe(false);
    expect(plan.sites).toEqual([{ site: "acme", state: "unchanged" }]);
    const text = renderPlanText(plan);
    expect(text).toContain("site acme\n  [Sync, wave 1: web and other services]\n  # service acme_web is held: not changed until the hold ends (restore in progress until 2026-11-25T14:30:00.000Z)\n      ~ replicas: 0 → 2\n");
    expect(summaryLine(plan)).toBe("No changes. The swarm matches the manifests. 1 service(s) held.");
    expect(planToJson(plan)).toMatchObject({ actions: [{ op: "hold", what: "restore", until: "2026-11-25T14:30:00.000Z", phase: "Sync", wave: 1 }] });
    expect(plan.warnings).toEqual([{ site: "acme", name: "acme_web", message: "restore in progress until 2026-11-25T14:30:00.000Z: not reconciled until it ends" }]);
  });

  it("is scaled back by the manifest once the hold is stale (a crashed restore does not keep the site down)", () => {
    const plan = makePlan(desired, restoring("2026-11-25T13:59:59.000Z"), [], NOW);
    expect(plan.actions).toHaveLength(1);
    expect(plan.actions[0]).toMatchObject({ op: "update", name: "acme_web", drift: true });
    expect(plan.actions[0]?.changes).toContainEqual({ field: "replicas", op: "~", before: "0", after: "2" });
  });

  it("a hold label alone, on a service that matches its manifest, is no change", () => {
    const live = editService(liveFromDesired(desired), "acme_web", (s) => ({ ...s, labels: { ...s.labels, [LABEL.maintenance]: "import until 2026-11-25T14:30:00.000Z" } }));
    expect(makePlan(desired, live, [], NOW).actions).toEqual([]);
  });

  it("reads only the label it writes", () => {
    const until = new Date("2026-11-25T14:30:00Z");
    expect(activeHold({ [LABEL.maintenance]: maintenanceLabel("import", until) }, NOW)).toEqual({ what: "import", until });
    expect(activeHold({ [LABEL.maintenance]: "import until tomorrow" }, NOW)).toBeUndefined();
    expect(activeHold({}, NOW)).toBeUndefined();
  });
});
