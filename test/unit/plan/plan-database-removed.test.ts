import { makePlan } from "../../../controller/plan/plan";
import { desiredOf, site } from "../../fixtures/core/builders";
import { liveFromDesired } from "../../fixtures/core/live";
import { stateOf } from "./helpers";

describe("plan: a declared site drops its database", () => {
  const live = liveFromDesired(desiredOf([site({ deletionPolicy: "Delete" })]));
  const plan = makePlan(desiredOf([site({ database: undefined, deletionPolicy: "Delete" })]), live);

  it("removes the database service and updates web's env and secrets", () => {
    expect(plan.actions.filter((a) => a.op === "delete").map((a) => `${a.kind} ${a.name}`)).toEqual(["service acme_db"]);
    expect(plan.actions.find((a) => a.op === "delete")).toMatchObject({ reason: "no-longer-declared" });
    const web = plan.actions.find((a) => a.op === "update");
    expect(web?.name).toBe("acme_web");
    expect(web?.changes.map((c) => `${c.op} ${c.field}`)).toEqual([
      "- env.DB_HOST",
      "- env.DB_NAME",
      "- env.DB_PASSWORD_FILE",
      "- env.DB_PORT",
      "- env.DB_USER",
      "- secrets[db-password]",
    ]);
  });

  it("keeps the database's data and passwords, even under the Delete policy (the site still exists)", () => {
    const kept = plan.actions.filter((a) => a.op === "retain").map((a) => `${a.kind} ${a.name.replace(/-[0-9a-f]{10}$/, "")}`);
    expect(kept.sort()).toEqual(["secret acme_db-password", "secret acme_db-root-password", "volume acme_db-data"]);
    expect(stateOf(plan, "acme")).toBe("changed");
  });
});
