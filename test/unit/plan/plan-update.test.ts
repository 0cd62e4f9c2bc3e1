import { LABEL } from "../../../controller/desired/labels";
import { makePlan } from "../../../controller/plan/plan";
import type { UpdateAction } from "../../../controller/plan/types";
import { desiredOf, site } from "../../fixtures/core/builders";
import { editService, editShape, liveFromDesired } from "../../fixtures/core/live";
import { only, stateOf } from "./helpers";

const IMAGE_A = "registry.example.com/drupal-civicrm:10.3";
const IMAGE_B = "registry.example.com/drupal-civicrm:10.4";

describe("plan: updating services in place", () => {
  const before = desiredOf([site()]);
  const live = liveFromDesired(before);

  it("an image change is one update of web with `~ image: a → b`", () => {
    const plan = makePlan(desiredOf([site({ web: { image: IMAGE_B } })]), live);
    const action = only(plan) as UpdateAction;
    expect(action).toMatchObject({ op: "update", kind: "service", name: "acme_web", site: "acme", drift: false, id: "svc-acme_web", version: 7 });
    expect(action.changes[0]).toEqual({ field: "image", op: "~", before: IMAGE_A, after: IMAGE_B });
    // The spec hash label is volatile: it never shows as a change of its own.
    expect(action.changes).toEqual([{ field: "image", op: "~", before: IMAGE_A, after: IMAGE_B }]);
    expect(stateOf(plan, "acme")).toBe("changed");
  });

  it("an env variable added and one removed show as `+ env.X` and `- env.Y`", () => {
    const plan = makePlan(desiredOf([site({ web: { env: { DRUPAL_ENV: "production", NEW_VAR: "1" } } })]), live);
    expect(only(plan).changes).toEqual([
      { field: "env.CIVICRM_UF", op: "-", before: "Drupal" },
      { field: "env.NEW_VAR", op: "+", after: "1" },
    ]);
  });

  it("lists the image first, then the other fields alphabetically", () => {
    const plan = makePlan(desiredOf([site({ web: { image: IMAGE_B, replicas: 5, env: { A: "1", DRUPAL_ENV: "production", CIVICRM_UF: "Drupal" } } })]), live);
    // Fewer tasks to replace one by one leave more time between them (see webUpdateDelay).
    expect(only(plan).changes.map((c) => c.field)).toEqual(["image", "env.A", "replicas", "update.delay"]);
  });

  it("a hand edit (live differs, spec hash unchanged) is drift, put back to the manifest", () => {
    const edited = editShape(live, "acme_web", { replicas: 9, image: "evil:latest" });
    const action = only(makePlan(before, edited)) as UpdateAction;
    expect(action.drift).toBe(true);
    expect(action.changes).toEqual([
      { field: "image", op: "~", before: "evil:latest", after: IMAGE_A },
      { field: "replicas", op: "~", before: "9", after: "2" },
    ]);
    expect(action.spec.shape.image).toBe(IMAGE_A);
  });

  it("a hand-edited label is drift too", () => {
    const edited = editService(live, "acme_db", (s) => ({ ...s, labels: { ...s.labels, [LABEL.site]: "other", extra: "x" } }));
    const action = only(makePlan(before, edited)) as UpdateAction;
    expect(action.drift).toBe(true);
    expect(action.changes).toEqual([
      { field: "labels.extra", op: "-", before: "x" },
      { field: `labels.${LABEL.site}`, op: "~", before: "other", after: "acme" },
    ]);
  });

  it("a manifest change on top of a hand edit is not drift (the manifest moved)", () => {
    const edited = editShape(live, "acme_web", { replicas: 9 });
    expect((only(makePlan(desiredOf([site({ web: { image: IMAGE_B } })]), edited)) as UpdateAction).drift).toBe(false);
  });

  it("a domain change updates web's labels only, the shape (and so its tasks) untouched", () => {
    const action = only(makePlan(desiredOf([site({ domains: ["acme.example.org"] })]), live));
    expect(action.changes).toEqual([{ field: "domains[www.acme.example.org]", op: "-" }]);
  });

  it("a user label change updates both services' labels", () => {
    const plan = makePlan(desiredOf([site({ labels: { team: "ops" } })]), live);
    expect(plan.actions.map((a) => `${a.op} ${a.name}`)).toEqual(["update acme_db", "update acme_web"]);
    for (const a of plan.actions) expect(a.changes).toEqual([{ field: "labels.simulium.label.team", op: "~", before: "web", after: "ops" }]);
  });

  it("a digest the CLI pinned to the same tag is no change", () => {
    const pinned = editShape(live, "acme_web", { image: `${IMAGE_A}@sha256:${"b".repeat(64)}` });
    expect(makePlan(before, pinned).actions).toEqual([]);
  });

  it("a digest pinned by the manifest is compared exactly", () => {
    const want = `${IMAGE_A}@sha256:${"c".repeat(64)}`;
    const pinnedLive = editShape(live, "acme_web", { image: `${IMAGE_A}@sha256:${"b".repeat(64)}` });
    const action = only(makePlan(desiredOf([site({ web: { image: want } })]), pinnedLive));
    expect(action.changes[0]).toMatchObject({ field: "image", op: "~", after: want });
  });

  it("a rotated secret updates the services that mount it to the new version", () => {
    const plan = makePlan(desiredOf([site({ secrets: [{ name: "hash-salt", generate: { length: 48, rotation: 1 } }] })]), live);
    const update = only(plan, (a) => a.op === "update");
    expect(update.name).toBe("acme_web");
    expect(update.changes).toHaveLength(1);
    expect(update.changes[0]).toMatchObject({ field: "secrets[hash-salt]", op: "~" });
  });
});
