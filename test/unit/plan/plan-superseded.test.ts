import { makePlan } from "../../../controller/plan/plan";
import { desiredOf, site } from "../../fixtures/core/builders";
import { liveFromDesired } from "../../fixtures/core/live";
import { stateOf, summary } from "./helpers";

describe("plan: superseded secrets and undeclared data of a declared site", () => {
  const live = liveFromDesired(desiredOf([site()]));
  const oldSalt = live.secrets.find((s) => s.name.startsWith("acme_hash-salt-"));
  const rotated = desiredOf([site({ secrets: [{ name: "hash-salt", generate: { length: 48, rotation: 1 } }] })]);
  const plan = makePlan(rotated, live);

  it("creates the new version, updates the service, then deletes the old version", () => {
    const newSalt = rotated.resources.find((r) => r.kind === "secret" && r.name.startsWith("acme_hash-salt-"));
    expect(newSalt?.name).not.toBe(oldSalt?.name);
    expect(summary(plan)).toEqual([`create secret ${newSalt?.name}`, "update service acme_web", `delete secret ${oldSalt?.name}`]);
    expect(plan.actions[2]).toMatchObject({ op: "delete", reason: "superseded", id: oldSalt?.id });
    expect(stateOf(plan, "acme")).toBe("changed");
  });

  it("retains (does not delete) a secret whose logical name is no longer declared", () => {
    const p = makePlan(desiredOf([site({ secrets: [] })]), live);
    const salt = p.actions.find((a) => a.name === oldSalt?.name);
    expect(salt).toMatchObject({ op: "retain", reason: "no-longer-declared" });
  });

  it("retains an undeclared volume, and the site counts as unchanged if nothing else moves", () => {
    const p = makePlan(desiredOf([site({ volumes: [{ name: "files", mountPath: "/var/www/html/sites/default/files", readOnly: false }] })]), live);
    expect(p.actions.find((a) => a.name === "acme_private")).toMatchObject({ op: "retain", kind: "volume", reason: "no-longer-declared" });
    expect(p.actions.filter((a) => a.op !== "retain").map((a) => `${a.op} ${a.name}`)).toEqual(["update acme_web"]);
  });

  it("does not call another site's secret of the same logical name superseded", () => {
    const two = liveFromDesired(desiredOf([site({ name: "acme" }), site({ name: "beta" })]));
    const p = makePlan(desiredOf([site({ name: "acme" })]), two);
    for (const a of p.actions.filter((x) => x.kind === "secret")) expect(a).toMatchObject({ op: "retain", site: "beta", reason: "site-removed" });
  });
});
