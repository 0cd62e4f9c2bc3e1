import { LABEL } from "../../../controller/desired/labels";
import { makePlan } from "../../../controller/plan/plan";
import { desiredOf, site } from "../../fixtures/core/builders";
import { editService, liveFromDesired } from "../../fixtures/core/live";

const removedSiteData = (plan: ReturnType<typeof makePlan>) =>
  plan.actions.filter((a) => a.site === "acme" && (a.kind === "volume" || a.kind === "secret")).map((a) => `${a.op}:${a.op === "delete" || a.op === "retain" ? a.reason : "-"}`);

describe("plan: deletion policy of a removed site", () => {
  it("Retain (the default) keeps volumes and secrets", () => {
    const plan = makePlan(desiredOf([]), liveFromDesired(desiredOf([site({ deletionPolicy: "Retain" })])));
    expect(new Set(removedSiteData(plan))).toEqual(new Set(["retain:site-removed"]));
  });

  it("Delete on the web service deletes volumes, then secrets, after the services", () => {
    const plan = makePlan(desiredOf([]), liveFromDesired(desiredOf([site({ deletionPolicy: "Delete" })])));
    expect(removedSiteData(plan)).toHaveLength(6);
    expect(new Set(removedSiteData(plan))).toEqual(new Set(["delete:deletion-policy"]));
    const kinds = plan.actions.map((a) => a.kind);
    // Volumes before secrets: a volume that cannot go keeps the password its data was made with.
    expect(kinds.lastIndexOf("service")).toBeLessThan(kinds.indexOf("volume"));
    expect(kinds.lastIndexOf("volume")).toBeLessThan(kinds.indexOf("secret"));
    expect(kinds.lastIndexOf("secret")).toBeLessThan(kinds.indexOf("network"));
  });

  it("the web service's current policy wins over the one volumes were created with", () => {
    // Created under Delete, switched to Retain before removal: keep.
    const created = liveFromDesired(desiredOf([site({ deletionPolicy: "Delete" })]));
    const switched = editService(created, "acme_web", (s) => ({ ...s, labels: { ...s.labels, [LABEL.deletionPolicy]: "Retain" } }));
    expect(new Set(removedSiteData(makePlan(desiredOf([]), switched)))).toEqual(new Set(["retain:site-removed"]));
    // Created under Retain, switched to Delete before removal: delete.
    const createdRetain = liveFromDesired(desiredOf([site({ deletionPolicy: "Retain" })]));
    const switchedDelete = editService(createdRetain, "acme_web", (s) => ({ ...s, labels: { ...s.labels, [LABEL.deletionPolicy]: "Delete" } }));
    expect(new Set(removedSiteData(makePlan(desiredOf([]), switchedDelete)))).toEqual(new Set(["delete:deletion-policy"]));
  });

  it("with the services already gone (a later pass), retains whatever the data objects' own labels say", () => {
    // The policy decides once, in the pass that removes the services: a volume created under
    // Delete whose site was switched to Retain before removal must never be deleted later.
    const live = liveFromDesired(desiredOf([site({ deletionPolicy: "Delete" })]));
    const labelled = { ...live, services: [], volumes: live.volumes.map((v) => ({ ...v, labels: { ...v.labels, [LABEL.deletionPolicy]: "Delete" } })) };
    const plan = makePlan(desiredOf([]), labelled);
    expect(new Set(removedSiteData(plan))).toEqual(new Set(["retain:site-removed"]));
  });

  it("never deletes data of a site that is still declared, whatever its policy", () => {
    const live = liveFromDesired(desiredOf([site({ deletionPolicy: "Delete" })]));
    const plan = makePlan(desiredOf([site({ deletionPolicy: "Delete", volumes: [] })]), live);
    const volumes = plan.actions.filter((a) => a.kind === "volume");
    expect(volumes.map((a) => `${a.op} ${a.name}`).sort()).toEqual(["retain acme_files", "retain acme_private"]);
  });

  it("a policy label without any value (an object not made by simulium) retains", () => {
    const live = liveFromDesired(desiredOf([site()]));
    const unlabeled = {
      ...live,
      services: [],
      volumes: live.volumes.map((v) => {
        const labels: Record<string, string> = { ...v.labels };
        delete labels[LABEL.deletionPolicy];
        return { ...v, labels };
      }),
    };
    expect(makePlan(desiredOf([]), unlabeled).actions.filter((a) => a.kind === "volume").every((a) => a.op === "retain")).toBe(true);
  });

  it("a web service whose last update was held (rolled back, failed preDeploy) or is under a hold keeps its data: Retain may have been in that update", () => {
    const live = liveFromDesired(desiredOf([site({ deletionPolicy: "Delete" })]));
    const held = editService(live, "acme_web", (s) => ({ ...s, labels: { ...s.labels, [LABEL.failedSpec]: "0123456789ab" } }));
    expect(new Set(removedSiteData(makePlan(desiredOf([]), held)))).toEqual(new Set(["retain:site-removed"]));
    const until = new Date(Date.now() + 600_000).toISOString();
    const onHold = editService(live, "acme_web", (s) => ({ ...s, labels: { ...s.labels, [LABEL.maintenance]: `restore until ${until}` } }));
    expect(new Set(removedSiteData(makePlan(desiredOf([]), onHold)))).toEqual(new Set(["retain:site-removed"]));
  });
});
