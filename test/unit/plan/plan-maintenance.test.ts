import { LABEL } from "../../../controller/desired/labels";
import { activeHold, maintenanceLabel } from "../../../controller/plan/maintenance";
import { makePlan } from "../../../controller/plan/plan";
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

  it("is left alone while the hold is in force, with a warning saying why", () => {
    const plan = makePlan(desired, restoring("2026-11-25T14:30:00.000Z"), [], NOW);
    expect(plan.actions).toEqual([]);
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
