import { generateSecret } from "../../../controller/apply/secret-value";
import { EMPTY_LIVE } from "../../../controller/live/types";
import { makePlan } from "../../../controller/plan/plan";
import { planToJson, renderChange, renderPlanText, summaryLine } from "../../../controller/plan/render";
import { desiredOf, site } from "../../fixtures/core/builders";
import { editShape, liveFromDesired } from "../../fixtures/core/live";

const IMAGE_A = "registry.example.com/drupal-civicrm:10.3";
const IMAGE_B = "registry.example.com/drupal-civicrm:10.4";

describe("plan rendering for people", () => {
  const live = liveFromDesired(desiredOf([site({ name: "acme" }), site({ name: "beta" }), site({ name: "gone" })]));
  const desired = desiredOf([site({ name: "acme", web: { image: IMAGE_B } }), site({ name: "beta", web: { image: IMAGE_B } })]);
  const text = renderPlanText(makePlan(desired, live));

  it("shows `~ image: a → b` under each site's heading", () => {
    const lines = text.split("\n");
    for (const s of ["acme", "beta"]) {
      const heading = lines.indexOf(`site ${s}`);
      expect(heading).toBeGreaterThanOrEqual(0);
      expect(lines[heading + 1]).toBe("  [Sync, wave 1: web and other services]");
      expect(lines[heading + 2]).toBe(`  ~ service ${s}_web will be updated in place`);
      expect(lines[heading + 3]).toBe(`      ~ image: ${IMAGE_A} → ${IMAGE_B}`);
    }
  });

  it("groups a site's actions together, sites in plan order", () => {
    const headings = text.split("\n").filter((l) => l.startsWith("site "));
    expect(headings).toEqual(["site acme", "site beta", "site gone"]);
  });

  it("explains removals and retained data", () => {
    expect(text).toContain("  - service gone_web will be removed (site removed)");
    expect(text).toMatch(/  = volume gone_files is kept \(data is never deleted implicitly\) \(site removed\)/);
  });

  it("ends with a count", () => {
    expect(text.trimEnd().split("\n").pop()).toBe("Plan: 0 to create, 2 to update, 3 to remove, 6 retained.");
  });

  it("marks drift", () => {
    const drifted = editShape(liveFromDesired(desiredOf([site()])), "acme_web", { replicas: 1 });
    expect(renderPlanText(makePlan(desiredOf([site()]), drifted))).toContain(
      "  ~ service acme_web will be updated in place (drift: changed outside simulium, will be put back)\n      ~ replicas: 1 → 2\n",
    );
  });

  it("names frozen sites and the instance's shared objects", () => {
    const t = renderPlanText(makePlan(desiredOf([site({ name: "p", suspend: true })], { invalidSites: ["bad"] }), EMPTY_LIVE));
    expect(t).toContain("site p: suspended (spec.suspend: true), left as it runs");
    expect(t).toContain("site bad: manifest invalid, left as it runs");
    expect(t).toContain("(instance sim)\n  [PreSync, wave 0: networks and secrets]\n  + network sim_admin will be created\n      + driver: overlay");
    expect(t).toContain("  + network sim_edge will be created\n      + driver: overlay");
  });

  it("heads each phase and wave of a site once, in the order apply runs them", () => {
    const heads = text.split("\n").filter((l) => l.startsWith("site ") || l.startsWith("  ["));
    expect(heads).toEqual([
      "site acme",
      "  [Sync, wave 1: web and other services]",
      "site beta",
      "  [Sync, wave 1: web and other services]",
      "site gone",
      "  [Sync, wave 3: services removed]",
      "  [PostSync, wave 1: volumes removed or kept]",
      "  [PostSync, wave 2: secrets removed or kept]",
      "  [PostSync, wave 3: networks removed]",
    ]);
  });

  it("says so when nothing changes", () => {
    const d = desiredOf([site()]);
    expect(renderPlanText(makePlan(d, liveFromDesired(d)))).toBe("\nNo changes. The swarm matches the manifests.\n");
  });

  it("renders each kind of change", () => {
    expect(renderChange({ field: "env.X", op: "+", after: "1" })).toBe("+ env.X: 1");
    expect(renderChange({ field: "env.Y", op: "-", before: "2" })).toBe("- env.Y (was 2)");
    expect(renderChange({ field: "image", op: "~", before: "a", after: "b" })).toBe("~ image: a → b");
  });

  it("counts retained objects in the no-change summary", () => {
    const d = desiredOf([site()]);
    const live2 = liveFromDesired(desiredOf([site({ name: "old" }), site()]));
    const withoutOldServices = { ...live2, services: live2.services.filter((s) => s.site !== "old"), networks: live2.networks.filter((n) => n.site !== "old") };
    expect(summaryLine(makePlan(d, withoutOldServices))).toBe("No changes. The swarm matches the manifests. 6 object(s) retained.");
  });
});

describe("plan rendering for machines", () => {
  const live = liveFromDesired(desiredOf([site({ name: "acme" }), site({ name: "gone" })]));
  const error = { file: "sites/bad.yaml", line: 4, column: 3, path: "spec.web.image", message: "required", site: "bad" };
  const plan = makePlan(desiredOf([site({ name: "acme", web: { image: IMAGE_B } }), site({ name: "fresh" })], { invalidSites: ["bad"] }), live, [error]);
  const json = JSON.parse(JSON.stringify(planToJson(plan))) as Record<string, unknown>;

  it("has actions of {op, kind, site, name, changes} and errors located in files", () => {
    const actions = json.actions as Record<string, unknown>[];
    expect(actions.length).toBe(plan.actions.length);
    for (const a of actions) {
      expect(Object.keys(a).slice(0, 5)).toEqual(["op", "kind", "site", "name", "changes"]);
      expect(Array.isArray(a.changes)).toBe(true);
    }
    expect(actions).toContainEqual({
      op: "update",
      kind: "service",
      site: "acme",
      name: "acme_web",
      changes: [{ field: "image", op: "~", before: IMAGE_A, after: IMAGE_B }],
      phase: "Sync",
      wave: 1,
      drift: false,
      held: false,
    });
    expect(actions).toContainEqual({ op: "delete", kind: "service", site: "gone", name: "gone_web", changes: [], phase: "Sync", wave: 3, reason: "site-removed" });
    expect(json.errors).toEqual([{ file: "sites/bad.yaml", line: 4, column: 3, path: "spec.web.image", message: "required" }]);
    expect(json.sites).toContainEqual({ site: "bad", state: "invalid" });
    expect(json.instance).toBe("sim");
  });

  it("leaves specs and engine IDs out (they are inputs, not the plan)", () => {
    for (const a of json.actions as Record<string, unknown>[]) {
      expect(a).not.toHaveProperty("spec");
      expect(a).not.toHaveProperty("id");
    }
  });
});

describe("plan output never carries a secret value", () => {
  it("shows only how a secret is generated, in text and JSON", () => {
    // A value as apply would make it: it must be impossible for the plan to contain it,
    // since the plan is made from data that has no value in it.
    const value = generateSecret(48);
    const plan = makePlan(desiredOf([site()]), EMPTY_LIVE);
    const text = renderPlanText(plan);
    const json = JSON.stringify(planToJson(plan));
    expect(text).not.toContain(value);
    expect(json).not.toContain(value);
    const secretLines = text.split("\n").filter((l) => l.includes("secret acme_"));
    expect(secretLines).toHaveLength(3);
    expect(text).toContain("      + value: (generated, 48 characters)");
    expect(text.match(/\+ value: \(generated, 32 characters\)/g)).toHaveLength(2);
    for (const a of plan.actions.filter((x) => x.kind === "secret")) {
      expect(a.changes).toEqual([{ field: "value", op: "+", after: expect.stringMatching(/^\(generated, \d+ characters\)$/) }]);
    }
  });

  it("shows a rotated secret's reference change as names only", () => {
    const live = liveFromDesired(desiredOf([site()]));
    const plan = makePlan(desiredOf([site({ secrets: [{ name: "hash-salt", generate: { length: 48, rotation: 1 } }] })]), live);
    const ref = plan.actions.find((a) => a.op === "update")?.changes[0];
    expect(ref?.before).toMatch(/^acme_hash-salt-[0-9a-f]{10}$/);
    expect(ref?.after).toMatch(/^acme_hash-salt-[0-9a-f]{10}$/);
  });
});
