import { LABEL } from "../../../controller/desired/labels";
import { EMPTY_LIVE } from "../../../controller/live/types";
import { withSpecHash } from "../../../controller/desired/service-hash";
import { makePlan } from "../../../controller/plan/plan";
import { bareSite, desiredOf, site } from "../../fixtures/core/builders";
import { stateOf, summary } from "./helpers";

describe("plan: creating from nothing", () => {
  const desired = desiredOf([site({ name: "beta" }), site({ name: "acme" })]);
  const plan = makePlan(desired, EMPTY_LIVE);

  it("creates everything in sync order: networks and secrets, volumes, databases, web and the other services", () => {
    expect(plan.actions.every((a) => a.op === "create")).toBe(true);
    expect(plan.actions).toHaveLength(desired.resources.length);
    const slots = plan.actions.map((a) => `${a.phase} ${a.wave} ${a.kind}${a.op === "create" && a.spec.kind === "service" ? `/${a.spec.role}` : ""}`);
    expect([...new Set(slots)]).toEqual([
      "PreSync 0 network",
      "PreSync 0 secret",
      "PreSync 1 volume",
      "Sync 0 service/db",
      "Sync 1 service/web",
    ]);
    // The same order apply runs them in, phase by phase, wave by wave.
    const rank = plan.actions.map((a) => ["PreSync", "Sync", "PostSync"].indexOf(a.phase) * 100 + a.wave);
    expect(rank).toEqual([...rank].sort((a, b) => a - b));
  });

  it("orders each wave by site then name, so the plan reads the same every time", () => {
    expect(summary(plan).filter((s) => s.startsWith("create network"))).toEqual([
      "create network sim_admin",
      "create network sim_edge",
      "create network sim_tools",
      "create network acme_default",
      "create network beta_default",
    ]);
    expect(summary(plan).filter((s) => s.startsWith("create service"))).toEqual([
      "create service acme_db",
      "create service beta_db",
      "create service acme_web",
      "create service beta_web",
    ]);
  });

  it("summarises each create without secret values", () => {
    const byName = (n: string) => plan.actions.find((a) => a.name === n);
    expect(byName("acme_web")?.changes).toEqual([
      { field: "image", op: "+", after: "registry.example.com/drupal-civicrm:10.3" },
      { field: "replicas", op: "+", after: "2" },
    ]);
    expect(byName("acme_default")?.changes).toEqual([{ field: "driver", op: "+", after: "overlay" }]);
    expect(byName("acme_files")?.changes).toEqual([{ field: "driver", op: "+", after: "local" }]);
    const salt = plan.actions.find((a) => a.kind === "secret" && a.name.startsWith("acme_hash-salt-"));
    expect(salt?.changes).toEqual([{ field: "value", op: "+", after: "(generated, 48 characters)" }]);
  });

  it("marks every declared site as changed, and carries the spec to apply", () => {
    expect(stateOf(plan, "acme")).toBe("changed");
    expect(stateOf(plan, "beta")).toBe("changed");
    // Services as apply sends them: with the spec hash the plan adds.
    const sent = desired.resources.map((r) => (r.kind === "service" ? withSpecHash(r) : r));
    for (const a of plan.actions) if (a.op === "create") expect(sent).toContainEqual(a.spec);
    const services = plan.actions.flatMap((a) => (a.op === "create" && a.kind === "service" ? [a.spec] : []));
    expect(services.length).toBeGreaterThan(0);
    for (const spec of services) expect(spec.labels[LABEL.specHash]).toMatch(/^[0-9a-f]{12}$/);
  });

  it("creates only the missing objects when some exist", () => {
    const partial = makePlan(desiredOf([bareSite("acme")]), {
      ...EMPTY_LIVE,
      networks: [
        { kind: "network", id: "n1", name: "sim_edge", site: null, labels: {}, driver: "overlay", attachable: true, subnets: [] },
        { kind: "network", id: "n2", name: "sim_admin", site: null, labels: {}, driver: "overlay", attachable: false, subnets: [] },
        { kind: "network", id: "n3", name: "sim_tools", site: null, labels: {}, driver: "overlay", attachable: false, subnets: [] },
      ],
    });
    expect(summary(partial)).toEqual(["create network acme_default", "create service acme_web"]);
  });

  it("passes manifest errors through untouched", () => {
    const error = { file: "sites/x.yaml", line: 3, column: 1, path: "spec", message: "bad" };
    expect(makePlan(desired, EMPTY_LIVE, [error]).errors).toEqual([error]);
  });
});
