import { makePlan } from "../../../controller/plan/plan";
import { desiredOf, site } from "../../fixtures/core/builders";
import { liveFromDesired } from "../../fixtures/core/live";
import { stateOf, summary } from "./helpers";

describe("plan: a site removed from the repository", () => {
  const live = liveFromDesired(desiredOf([site({ name: "acme" }), site({ name: "beta" })]));
  const plan = makePlan(desiredOf([site({ name: "beta" })]), live);
  const acme = plan.actions.filter((a) => a.site === "acme");

  it("deletes its services and network", () => {
    expect(acme.filter((a) => a.op === "delete").map((a) => `${a.kind} ${a.name}`)).toEqual([
      "service acme_db",
      "service acme_web",
      "network acme_default",
    ]);
    for (const a of acme.filter((x) => x.op === "delete")) expect(a).toMatchObject({ reason: "site-removed" });
  });

  it("retains its volumes and secrets (data is never deleted implicitly)", () => {
    const kept = acme.filter((a) => a.op === "retain");
    expect(kept.map((a) => a.kind).sort()).toEqual(["secret", "secret", "secret", "volume", "volume", "volume"]);
    for (const a of kept) expect(a).toMatchObject({ reason: "site-removed" });
  });

  it("removes services before volumes, secrets and networks", () => {
    expect(summary(plan).filter((s) => s.startsWith("delete"))).toEqual(["delete service acme_db", "delete service acme_web", "delete network acme_default"]);
    const deletes = plan.actions.filter((a) => a.op !== "create" && a.op !== "update").map((a) => a.kind);
    expect(deletes).toEqual([...deletes].sort((x, y) => ["service", "volume", "secret", "network"].indexOf(x) - ["service", "volume", "secret", "network"].indexOf(y)));
  });

  it("marks the site removed, leaves the other site unchanged and never touches its objects", () => {
    expect(stateOf(plan, "acme")).toBe("removed");
    expect(stateOf(plan, "beta")).toBe("unchanged");
    expect(plan.actions.filter((a) => a.site !== "acme")).toEqual([]);
  });

  it("marks a removed site whose services are already gone as retained, and keeps re-reporting its data", () => {
    const leftovers = { ...live, services: live.services.filter((s) => s.site !== "acme"), networks: live.networks.filter((n) => n.site !== "acme") };
    const again = makePlan(desiredOf([site({ name: "beta" })]), leftovers);
    expect(stateOf(again, "acme")).toBe("retained");
    expect(again.actions.every((a) => a.op === "retain" && a.site === "acme")).toBe(true);
  });

  it("never removes the shared edge network, even with no site left", () => {
    const empty = makePlan(desiredOf([]), live);
    expect(empty.actions.some((a) => a.name === "sim_edge")).toBe(false);
  });

  it("removes a shared object of this instance that is no longer rendered", () => {
    const stale = { ...live, networks: [...live.networks, { ...live.networks[0]!, id: "n-old", name: "sim_old-edge" }] };
    const p = makePlan(desiredOf([site({ name: "acme" }), site({ name: "beta" })]), stale);
    expect(p.actions).toEqual([{ op: "delete", kind: "network", site: null, name: "sim_old-edge", id: "n-old", changes: [], reason: "no-longer-declared", phase: "PostSync", wave: 3 }]);
  });
});
