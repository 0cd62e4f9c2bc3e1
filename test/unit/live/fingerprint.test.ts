import type { ServiceShape } from "../../../controller/desired/types";
import type { ApiTaskTemplate } from "../../../controller/engine/api-types";
import { templateFingerprint } from "../../../controller/live/fingerprint";
import { desiredOf, site } from "../../fixtures/core/builders";
import { templateOf } from "../../fixtures/core/live";
import { find } from "../desired/helpers";

describe("fingerprint: does a task run its service's current task template?", () => {
  const desired = desiredOf([site()]);
  const web = find(desired, "service", "acme_web").shape;
  const fp = (shape: ServiceShape) => templateFingerprint(templateOf("acme_web", shape)).fingerprint;

  it("is the same for the service's template and the copy Swarm gives a task (which lacks the derived Runtime)", () => {
    const service: ApiTaskTemplate & { Runtime?: string } = { ...templateOf("acme_web", web), Runtime: "container" };
    expect(templateFingerprint(service).fingerprint).toBe(fp(web));
  });

  it("treats absent and empty objects alike (the engine drops some on one side)", () => {
    const t = templateOf("acme_web", web);
    expect(templateFingerprint({ ...t, Placement: {}, Resources: { ...t.Resources, Reservations: {} } }).fingerprint).toBe(
      templateFingerprint({ ...t, Placement: undefined }).fingerprint,
    );
  });

  it("leaves placement preferences out, like constraints: Swarm keeps a task whose placement alone changed (swarmkit's IsTaskDirty)", () => {
    const t = templateOf("acme_web", web);
    expect(templateFingerprint({ ...t, Placement: { ...t.Placement, Preferences: [{ Spread: { SpreadDescriptor: "node.id" } }] } }).fingerprint).toBe(fp(web));
  });

  it("changes with a digest-only image change, so old tasks of img:tag@A never count as img:tag@B", () => {
    const a = { ...web, image: `${web.image}@sha256:${"a".repeat(64)}` };
    const b = { ...web, image: `${web.image}@sha256:${"b".repeat(64)}` };
    expect(fp(a)).not.toBe(fp(b));
  });

  it.each<[string, Partial<ServiceShape>]>([
    ["image", { image: "registry.example.com/drupal-civicrm:10.4" }],
    ["env", { env: { ...web.env, NEW: "1" } }],
    ["command", { args: ["sleep", "1"] }],
    ["secrets", { secrets: [{ secretName: "acme_hash-salt-ffffffffff", target: "hash-salt" }] }],
    ["mounts", { mounts: [] }],
    // Not carried by the container, yet Swarm replaces every task for them: old tasks must not pass for new.
    ["memory limit", { memoryBytes: 123 * 1024 * 1024 }],
    ["cpu limit", { nanoCpus: 250_000_000 }],
    ["networks", { networks: ["acme_default"] }],
    ["task labels", { taskLabels: { ...web.taskLabels, extra: "1" } }],
  ])("changes with %s", (_field, edit) => {
    expect(fp({ ...web, ...edit })).not.toBe(fp(web));
  });

  it.each<[string, Partial<ServiceShape>]>([
    ["replicas", { replicas: 9 }],
    ["update policy", { update: { ...web.update, monitorSeconds: 99 } }],
  ])("ignores %s, which is not part of the task template", (_field, edit) => {
    expect(fp({ ...web, ...edit })).toBe(fp(web));
  });

  it("keeps placement constraints apart (Swarm keeps a task whose node still satisfies new ones)", () => {
    const moved = templateFingerprint(templateOf("acme_web", { ...web, constraints: ["node.role==manager", "node.labels.a==1"] }));
    expect(moved.fingerprint).toBe(fp(web));
    expect(moved.constraints).toEqual(["node.labels.a==1", "node.role==manager"]);
  });

  it("reads a missing template without throwing", () => {
    expect(templateFingerprint(undefined).fingerprint).toMatch(/^[0-9a-f]{12}$/);
  });
});
