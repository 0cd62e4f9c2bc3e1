import { LABEL } from "../../../controller/desired/labels";
import { makePlan } from "../../../controller/plan/plan";
import type { UpdateAction } from "../../../controller/plan/types";
import { desiredOf, site } from "../../fixtures/core/builders";
import { editService, liveFromDesired } from "../../fixtures/core/live";

const webUpdate = (plan: ReturnType<typeof makePlan>): UpdateAction | undefined =>
  plan.actions.find((a): a is UpdateAction => a.op === "update" && a.name === "acme_web");

describe("plan: which web updates are deploys (and run hooks)", () => {
  const live = liveFromDesired(desiredOf([site()]));

  it("an image or environment change is a deploy", () => {
    expect(webUpdate(makePlan(desiredOf([site({ web: { image: "registry.example.com/drupal-civicrm:10.4" } })]), live))?.deploy).toBe(true);
    expect(webUpdate(makePlan(desiredOf([site({ web: { env: { DRUPAL_ENV: "staging" } } })]), live))?.deploy).toBe(true);
  });

  it("domains, cache settings, replicas and the deletion policy are not", () => {
    for (const changed of [
      site({ domains: ["acme.example.org"] }),
      site({ routing: { cache: false } }),
      site({ web: { replicas: 3 } }),
      site({ deletionPolicy: "Delete" }),
    ]) {
      const update = webUpdate(makePlan(desiredOf([changed]), live));
      expect(update).toBeDefined();
      expect(update?.deploy).toBe(false);
    }
  });

  it("a drift correction is not", () => {
    const drifted = editService(live, "acme_web", (s) => ({ ...s, shape: { ...s.shape, image: "something:else" } }));
    const update = webUpdate(makePlan(desiredOf([site()]), drifted));
    expect(update?.drift).toBe(true);
    expect(update?.deploy).toBe(false);
  });

  it("a postDeploy hook owed by an applied update is planned, and only then", () => {
    expect(makePlan(desiredOf([site()]), live).actions.filter((a) => a.op === "hook")).toEqual([]);
    const owed = editService(live, "acme_web", (s) => ({ ...s, labels: { ...s.labels, [LABEL.pendingHook]: "postDeploy" } }));
    const plan = makePlan(desiredOf([site()]), owed);
    expect(plan.actions.map((a) => `${a.op} ${a.name}`)).toEqual(["hook acme_web"]);
    expect(plan.sites.find((s) => s.site === "acme")?.state).toBe("changed");
  });

  it("an update of a service that still owes a postDeploy keeps owing it (a domain change, a drift correction)", () => {
    const owed = editService(live, "acme_web", (s) => ({ ...s, labels: { ...s.labels, [LABEL.pendingHook]: "postDeploy" } }));
    expect(webUpdate(makePlan(desiredOf([site({ domains: ["acme.example.org"] })]), owed))).toMatchObject({ deploy: false, owesPostDeploy: true });
    const drifted = editService(owed, "acme_web", (s) => ({ ...s, shape: { ...s.shape, replicas: 5 } }));
    expect(webUpdate(makePlan(desiredOf([site()]), drifted))).toMatchObject({ drift: true, owesPostDeploy: true });
    expect(webUpdate(makePlan(desiredOf([site({ domains: ["acme.example.org"] })]), live))?.owesPostDeploy).toBe(false);
  });
});
