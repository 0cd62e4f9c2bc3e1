import { LABEL } from "../../../controller/desired/labels";
import { diffList } from "../../../controller/plan/diff";
import { makePlan } from "../../../controller/plan/plan";
import { renderChange, renderPlanText } from "../../../controller/plan/render";
import type { UpdateAction } from "../../../controller/plan/types";
import { desiredOf, site } from "../../fixtures/core/builders";
import { editService, liveFromDesired } from "../../fixtures/core/live";
import { only } from "./helpers";

describe("plan: routing changes (domains, spec.routing)", () => {
  const before = desiredOf([site({ domains: ["a.org", "b.org"] })]);
  const live = liveFromDesired(before);

  it("shows one line per domain added or removed, not the comma-joined label", () => {
    const action = only(makePlan(desiredOf([site({ domains: ["a.org", "c.org"] })]), live)) as UpdateAction;
    expect(action).toMatchObject({ op: "update", name: "acme_web", drift: false });
    expect(action.changes).toEqual([
      { field: "domains[b.org]", op: "-" },
      { field: "domains[c.org]", op: "+" },
    ]);
    expect(action.changes.map(renderChange)).toEqual(["- domains[b.org]", "+ domains[c.org]"]);
    // Routing lives in service labels: the task template (and so the running tasks) is untouched.
    expect(webShape(before)).toBeDefined();
    expect(action.spec.shape).toEqual(webShape(before));
  });

  it("shows a reordering alone (the first domain is the probe's Host) as one change", () => {
    const action = only(makePlan(desiredOf([site({ domains: ["b.org", "a.org"] })]), live));
    expect(action.changes).toEqual([{ field: "domains", op: "~", before: "a.org,b.org", after: "b.org,a.org" }]);
  });

  it("shows each spec.routing field set, changed or unset as `routing.<field>`", () => {
    const tuned = desiredOf([site({ domains: ["a.org", "b.org"], routing: { ttl: 300, cache: false, passPaths: ["/shop"] } })]);
    expect(only(makePlan(tuned, live)).changes).toEqual([
      { field: "routing.cache", op: "+", after: "false" },
      { field: "routing.passPaths[/shop]", op: "+" },
      { field: "routing.ttl", op: "+", after: "300" },
    ]);
    const retuned = desiredOf([site({ domains: ["a.org", "b.org"], routing: { ttl: 600, passPaths: ["/donate", "/shop"] } })]);
    const text = renderPlanText(makePlan(retuned, liveFromDesired(tuned)));
    expect(text).toContain("      - routing.cache (was false)\n");
    expect(text).toContain("      + routing.passPaths[/donate]\n");
    expect(text).toContain("      ~ routing.ttl: 300 → 600\n");
    expect(text).not.toContain("labels.");
  });

  it("plans nothing when spec.routing is unchanged, whatever the order of passPaths", () => {
    const a = desiredOf([site({ routing: { passPaths: ["/b", "/a"], grace: 60 } })]);
    const b = desiredOf([site({ routing: { grace: 60, passPaths: ["/a", "/b"] } })]);
    expect(makePlan(b, liveFromDesired(a)).actions).toEqual([]);
  });

  it("puts back a hand-edited routing label as drift", () => {
    const tuned = desiredOf([site({ routing: { firstByteTimeout: 600 } })]);
    const edited = editService(liveFromDesired(tuned), "acme_web", (s) => ({ ...s, labels: { ...s.labels, [`${LABEL.routingPrefix}firstByteTimeout`]: "5" } }));
    const action = only(makePlan(tuned, edited)) as UpdateAction;
    expect(action.drift).toBe(true);
    expect(action.changes).toEqual([{ field: "routing.firstByteTimeout", op: "~", before: "5", after: "600" }]);
  });

  it("shows a change of the probe or the port as the routing Varnish will use, beside the container health check", () => {
    const probed = desiredOf([site({ domains: ["a.org", "b.org"], web: { healthcheck: { path: "/healthz.php", interval: 10, timeout: 5 } } })]);
    const action = only(makePlan(probed, live)) as UpdateAction;
    expect(action).toMatchObject({ op: "update", name: "acme_web", drift: false });
    expect(action.changes.map((c) => c.field)).toEqual(["healthcheck", "routing.healthcheck.path"]);
    expect(action.changes[1]).toEqual({ field: "routing.healthcheck.path", op: "~", before: "/user/login", after: "/healthz.php" });
    expect(renderPlanText(makePlan(probed, live))).toContain("~ routing.healthcheck.path: /user/login → /healthz.php");

    const moved = desiredOf([site({ domains: ["a.org", "b.org"], web: { port: 8080 } })]);
    expect(only(makePlan(moved, live)).changes).toContainEqual({ field: "routing.port", op: "~", before: "80", after: "8080" });
  });

});

describe("diffList", () => {
  it("lists additions then removals, in list order", () => {
    expect(diffList("domains", ["x", "a", "y"], ["a", "b", "c"])).toEqual([
      { field: "domains[x]", op: "+" },
      { field: "domains[y]", op: "+" },
      { field: "domains[b]", op: "-" },
      { field: "domains[c]", op: "-" },
    ]);
  });

  it("is empty for equal lists and for two empty ones", () => {
    expect(diffList("domains", ["a", "b"], ["a", "b"])).toEqual([]);
    expect(diffList("routing.passPaths", [], [])).toEqual([]);
  });

  it("reports a pure reordering once", () => {
    expect(diffList("domains", ["b", "a"], ["a", "b"])).toEqual([{ field: "domains", op: "~", before: "a,b", after: "b,a" }]);
  });
});

function webShape(d: ReturnType<typeof desiredOf>) {
  const web = d.resources.find((r) => r.kind === "service" && r.name === "acme_web");
  return web?.kind === "service" ? web.shape : undefined;
}
