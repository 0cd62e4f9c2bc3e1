import type { ServiceShape } from "../../../controller/desired/types";
import { containerFingerprint, fingerprintOfContainer, fingerprintOfShape } from "../../../controller/live/fingerprint";
import { desiredOf, site } from "../../fixtures/core/builders";
import { containerOf } from "../../fixtures/core/live";
import { find } from "../desired/helpers";

describe("fingerprint: does a task run the current spec?", () => {
  const desired = desiredOf([site()]);
  const web = find(desired, "service", "acme_web").shape;
  const running = (shape: ServiceShape) => fingerprintOfContainer(containerOf("acme_web", shape));

  it("is equal for the desired shape and the container apply sends for it", () => {
    for (const s of desired.resources) {
      if (s.kind === "service") expect(running(s.shape)).toBe(fingerprintOfShape(s.shape));
    }
  });

  it("is unchanged by Env order", () => {
    const c = containerOf("acme_web", web);
    const reordered = { ...c, Env: [...(c.Env ?? [])].reverse() };
    expect(fingerprintOfContainer(reordered)).toBe(fingerprintOfShape(web));
  });

  it("changes with a digest-only image change, so old tasks of img:tag@A never count as img:tag@B", () => {
    const a = { ...web, image: `${web.image}@sha256:${"a".repeat(64)}` };
    const b = { ...web, image: `${web.image}@sha256:${"b".repeat(64)}` };
    expect(fingerprintOfShape(a)).not.toBe(fingerprintOfShape(b));
    expect(fingerprintOfContainer(containerOf("acme_web", a))).toBe(fingerprintOfShape(a));
  });

  it.each<[string, Partial<ServiceShape>]>([
    ["image", { image: "registry.example.com/drupal-civicrm:10.4" }],
    ["env", { env: { ...web.env, NEW: "1" } }],
    ["command", { args: ["sleep", "1"] }],
    ["secrets", { secrets: [{ secretName: "acme_hash-salt-ffffffffff", target: "hash-salt" }] }],
    ["mounts", { mounts: [] }],
  ])("changes with %s", (_field, edit) => {
    expect(fingerprintOfShape({ ...web, ...edit })).not.toBe(fingerprintOfShape(web));
  });

  it.each<[string, Partial<ServiceShape>]>([
    ["replicas", { replicas: 9 }],
    ["constraints", { constraints: ["node.role==manager"] }],
    ["update policy", { update: { ...web.update, monitorSeconds: 99 } }],
    ["resources", { memoryBytes: 1 }],
  ])("ignores %s, which a task's container does not carry", (_field, edit) => {
    expect(fingerprintOfShape({ ...web, ...edit })).toBe(fingerprintOfShape(web));
  });

  it("treats no command and an empty command alike", () => {
    const base = { image: "x", env: {}, secrets: [], mounts: [] };
    expect(containerFingerprint({ ...base, args: [] })).toBe(containerFingerprint({ ...base, args: null }));
  });

  it("reads a missing container spec without throwing", () => {
    expect(fingerprintOfContainer(undefined)).toMatch(/^[0-9a-f]{12}$/);
  });
});
