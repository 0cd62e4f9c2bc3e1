import { EMPTY_LIVE } from "../../../controller/live/types";
import { makePlan } from "../../../controller/plan/plan";
import { compareSlots, HOOK_SLOT, inSyncOrder, syncSlot } from "../../../controller/plan/sync";
import { LABEL } from "../../../controller/desired/labels";
import { renderDesired } from "../../../controller/desired/render";
import { cluster, desiredOf, site } from "../../fixtures/core/builders";
import { editService, liveFromDesired } from "../../fixtures/core/live";

const slot = (a: Parameters<typeof syncSlot>[0]) => {
  const s = syncSlot(a);
  return `${s.phase} ${s.wave}`;
};

describe("sync order: every action's phase and wave", () => {
  it("creates networks and secrets, then volumes, before any service", () => {
    expect(slot({ op: "create", kind: "network" })).toBe("PreSync 0");
    expect(slot({ op: "create", kind: "secret" })).toBe("PreSync 0");
    expect(slot({ op: "create", kind: "volume" })).toBe("PreSync 1");
  });

  it("runs databases, then web and the other services, then routing", () => {
    expect(slot({ op: "update", kind: "service", role: "db" })).toBe("Sync 0");
    for (const role of ["web", "sftp", "ssh", "phpmyadmin"]) expect(slot({ op: "create", kind: "service", role })).toBe("Sync 1");
    expect(slot({ op: "update", kind: "service", role: "varnish" })).toBe("Sync 2");
  });

  it("runs preDeploy hooks once their job's objects exist and before any service changes; postDeploy after", () => {
    expect(compareSlots(syncSlot({ op: "create", kind: "volume" }), HOOK_SLOT.preDeploy)).toBeLessThan(0);
    expect(compareSlots(HOOK_SLOT.preDeploy, syncSlot({ op: "update", kind: "service", role: "db" }))).toBeLessThan(0);
    expect(slot({ op: "hook", kind: "service", role: "web" })).toBe(`${HOOK_SLOT.postDeploy.phase} ${HOOK_SLOT.postDeploy.wave}`);
    expect(HOOK_SLOT.postDeploy.phase).toBe("PostSync");
  });

  it("removes in reverse: services in Sync's last wave, then volumes, secrets, networks after the wait", () => {
    const removals = (["network", "secret", "volume", "service"] as const).map((kind) => ({ kind, site: null, name: kind, ...syncSlot({ op: "delete", kind }) }));
    expect(inSyncOrder(removals).map((a) => a.kind)).toEqual(["service", "volume", "secret", "network"]);
    expect(slot({ op: "delete", kind: "service" })).toBe("Sync 3");
    // A retained object is shown where its removal would have been.
    expect(slot({ op: "retain", kind: "volume" })).toBe(slot({ op: "delete", kind: "volume" }));
  });
});

describe("sync order: a plan is in apply's order", () => {
  it("orders a mixed plan (creates, updates, an owed hook, removals) by phase, then wave, then site and name", () => {
    const before = liveFromDesired(desiredOf([site({ name: "acme" }), site({ name: "gone" }), site({ name: "owes" })]));
    const live = editService(before, "owes_web", (s) => ({ ...s, labels: { ...s.labels, [LABEL.pendingHook]: "postDeploy" } }));
    const desired = desiredOf([site({ name: "acme", web: { image: "registry.example.com/drupal-civicrm:10.4" } }), site({ name: "fresh" }), site({ name: "owes" })]);
    const plan = makePlan(desired, live);
    const slots = plan.actions.map((a) => `${a.phase} ${a.wave}`);
    expect([...new Set(slots)]).toEqual(["PreSync 0", "PreSync 1", "Sync 0", "Sync 1", "Sync 3", "PostSync 0", "PostSync 1", "PostSync 2", "PostSync 3"]);
    expect(plan.actions.find((a) => a.op === "hook")).toMatchObject({ site: "owes", phase: "PostSync", wave: 0 });
    expect(plan.actions.filter((a) => a.phase === "Sync" && a.wave === 1).map((a) => a.name)).toEqual(["acme_web", "fresh_web"]);
    expect(inSyncOrder(plan.actions)).toEqual(plan.actions);
  });

  it("plans the shared Varnish (routing) after the sites' services", () => {
    const withVarnish = cluster({ varnish: { image: "varnish:7.5", port: 8080, replicas: 1, mode: "replicated", constraints: [], cacheSize: "256M", optimiseVcl: false, vcl: {} } });
    const plan = makePlan(renderDesired({ sites: [site()], cluster: withVarnish, varnishSecret: { hash: "0123456789" } }), EMPTY_LIVE);
    const names = plan.actions.map((a) => a.name);
    expect(names.indexOf("sim_varnish")).toBeGreaterThan(names.indexOf("acme_web"));
    expect(plan.actions.find((a) => a.name === "sim_varnish")).toMatchObject({ phase: "Sync", wave: 2 });
  });
});
