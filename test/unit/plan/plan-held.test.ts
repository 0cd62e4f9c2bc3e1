import { LABEL } from "../../../controller/desired/labels";
import { serviceSpecHash } from "../../../controller/desired/service-hash";
import { makePlan } from "../../../controller/plan/plan";
import { renderPlanText } from "../../../controller/plan/render";
import type { UpdateAction } from "../../../controller/plan/types";
import { siteStatuses } from "../../../controller/reconcile/status";
import { desiredOf, site } from "../../fixtures/core/builders";
import { editService, liveFromDesired } from "../../fixtures/core/live";

const BAD = "registry.example.com/drupal-civicrm:typo";

describe("plan: an update Swarm rolled back is held", () => {
  const live = liveFromDesired(desiredOf([site()]));
  const wanted = desiredOf([site({ web: { image: BAD } })]);
  const wantedWeb = wanted.resources.find((r) => r.name === "acme_web");
  const failedHash = wantedWeb?.kind === "service" ? serviceSpecHash(wantedWeb) : "";
  const marked = (hash: string) =>
    editService(live, "acme_web", (s) => ({
      ...s,
      labels: { ...s.labels, [LABEL.failedSpec]: hash, [LABEL.failedReason]: `No such image: ${BAD}` },
    }));

  it("holds the update whose spec hash is the one that failed, with the reason", () => {
    const plan = makePlan(wanted, marked(failedHash));
    const update = plan.actions.find((a) => a.op === "update") as UpdateAction;
    expect(update).toMatchObject({ name: "acme_web", held: true, heldReason: `No such image: ${BAD}` });
    expect(renderPlanText(plan)).toContain(`held: Swarm rolled this spec back: No such image: ${BAD}`);
  });

  it("does not hold a different spec (the manifest changed since)", () => {
    const plan = makePlan(desiredOf([site({ web: { image: `${BAD}-fixed` } })]), marked(failedHash));
    expect(plan.actions.find((a) => a.op === "update")).toMatchObject({ held: false });
  });

  it("never makes the failure marks a reason to update", () => {
    const plan = makePlan(desiredOf([site()]), marked("0123456789ab"));
    expect(plan.actions.filter((a) => a.op !== "retain")).toEqual([]);
  });

  it("reports the site failed in status while the update is held", () => {
    const state = marked(failedHash);
    const status = siteStatuses(state, makePlan(wanted, state)).find((s) => s.site === "acme");
    expect(status?.state).toBe("failed");
    expect(status?.lastError).toContain(`No such image: ${BAD}`);
  });
});
