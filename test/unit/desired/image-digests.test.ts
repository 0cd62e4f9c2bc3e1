import { imagesToResolve, ImageResolution, needsDigest, pinImageDigests, unresolvedMessage } from "../../../controller/desired/image-digests";
import type { ServiceSpec } from "../../../controller/desired/types";
import { makePlan } from "../../../controller/plan/plan";
import { renderChange, renderPlanText } from "../../../controller/plan/render";
import { freezeSites } from "../../../controller/plan/rotation-guard";
import type { UpdateAction } from "../../../controller/plan/types";
import { desiredOf, site } from "../../fixtures/core/builders";
import { liveFromDesired } from "../../fixtures/core/live";

const IMAGE = "10.78.0.1:5000/simulium/web:8.2";
const OLD = `sha256:${"a".repeat(64)}`;
const NEW = `sha256:${"b".repeat(64)}`;

const webImage = (d: ReturnType<typeof desiredOf>, site: string): string =>
  (d.resources.find((r): r is ServiceSpec => r.kind === "service" && r.name === `${site}_web`) as ServiceSpec).shape.image;

describe("image digests: which images are looked up", () => {
  it("registry (the default) resolves images that name a registry host, not bare or Docker Hub names", () => {
    expect(needsDigest(IMAGE, "registry")).toBe(true);
    expect(needsDigest("registry.example.com/drupal-civicrm:10.3", "registry")).toBe(true);
    expect(needsDigest("localhost:5000/web", "registry")).toBe(true);
    expect(needsDigest("simulium/web:local", "registry")).toBe(false);
    expect(needsDigest("drupal:10", "registry")).toBe(false);
    expect(needsDigest("docker.io/library/drupal:10", "registry")).toBe(false);
  });

  it("always also resolves Docker Hub names; never resolves nothing; a digest in the manifest is never looked up", () => {
    expect(needsDigest("drupal:10", "always")).toBe(true);
    expect(needsDigest(IMAGE, "never")).toBe(false);
    expect(needsDigest(`${IMAGE}@${OLD}`, "always")).toBe(false);
  });

  it("each distinct image of the sites' services once, sorted", () => {
    const d = desiredOf([site({ name: "b", web: { image: IMAGE } }), site({ name: "a", web: { image: IMAGE } }), site({ name: "c", web: { image: "drupal:10" } })]);
    expect(imagesToResolve(d, "registry")).toEqual([IMAGE]);
    expect(imagesToResolve(d, "always")).toEqual([IMAGE, "drupal:10", "mariadb:11.4"]);
  });
});

describe("image digests: pinned into the desired state and the plan", () => {
  const tagged = desiredOf([site({ web: { image: IMAGE } })]);
  const pin = (digest: string) => pinImageDigests(tagged, new Map<string, ImageResolution>([[IMAGE, { digest }]]));

  it("a resolved image is sent as tag@digest", () => {
    const { desired, unresolved } = pin(OLD);
    expect(unresolved).toEqual([]);
    expect(webImage(desired, "acme")).toBe(`${IMAGE}@${OLD}`);
  });

  it("the same digest again is no change; a tag pushed again is an update shown as `image: …@sha256:old → sha256:new`", () => {
    const live = liveFromDesired(pin(OLD).desired);
    expect(makePlan(pin(OLD).desired, live).actions).toEqual([]);
    const plan = makePlan(pin(NEW).desired, live);
    expect(plan.actions).toHaveLength(1);
    const action = plan.actions[0] as UpdateAction;
    expect(action).toMatchObject({ op: "update", name: "acme_web", drift: false, deploy: true });
    expect(action.changes).toEqual([{ field: "image", op: "~", before: `${IMAGE}@${OLD}`, after: `${IMAGE}@${NEW}` }]);
    expect(renderChange(action.changes[0])).toBe(`~ image: ${IMAGE}@${OLD} → ${NEW}`);
    expect(renderPlanText(plan)).toContain(`~ image: ${IMAGE}@${OLD} → ${NEW}`);
  });

  it("a site deployed by tag before gets its digest pinned: one update", () => {
    const plan = makePlan(pin(OLD).desired, liveFromDesired(tagged));
    expect(plan.actions.map((a) => [a.op, a.name, a.changes])).toEqual([["update", "acme_web", [{ field: "image", op: "~", before: IMAGE, after: `${IMAGE}@${OLD}` }]]]);
  });

  it("an image the registry refused leaves its site as it runs, with a message naming the image and the reason; other sites go on", () => {
    const two = desiredOf([site({ web: { image: IMAGE } }), site({ name: "other", web: { image: "10.78.0.1:5000/simulium/other:1" } })]);
    const live = liveFromDesired(pin(OLD).desired);
    const { desired, unresolved } = pinImageDigests(
      two,
      new Map<string, ImageResolution>([
        [IMAGE, { error: "the registry refused it or is unreachable (no basic auth credentials)" }],
        ["10.78.0.1:5000/simulium/other:1", { digest: NEW }],
      ]),
    );
    expect(unresolved).toEqual([{ site: "acme", service: "acme_web", field: "spec.web.image", image: IMAGE, error: "the registry refused it or is unreachable (no basic auth credentials)" }]);
    expect(unresolvedMessage(unresolved[0])).toBe(
      `image ${IMAGE} (service acme_web) cannot be resolved to a digest: the registry refused it or is unreachable (no basic auth credentials). Nothing of this site is changed`,
    );
    const plan = makePlan(freezeSites(desired, new Set(unresolved.map((u) => u.site))), live);
    // acme's services, secrets and volumes are untouched; only the other site is created.
    expect(plan.actions.filter((a) => a.site === "acme")).toEqual([]);
    expect(plan.actions.filter((a) => a.kind === "service").map((a) => [a.op, a.name])).toEqual([
      ["create", "other_db"],
      ["create", "other_web"],
    ]);
    expect(plan.sites.find((s) => s.site === "acme")?.state).toBe("invalid");
  });
});
