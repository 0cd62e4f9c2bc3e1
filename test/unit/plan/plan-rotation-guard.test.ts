import { freezeSites, unsafeRotations } from "../../../controller/plan/rotation-guard";
import { makePlan } from "../../../controller/plan/plan";
import { desiredOf, site } from "../../fixtures/core/builders";
import { liveFromDesired } from "../../fixtures/core/live";

const withDbSecret = (length: number, rotation = 0) =>
  site({ secrets: [{ name: "hash-salt", generate: { length: 48, rotation: 0 } }, { name: "db-password", generate: { length, rotation } }] });

describe("plan: database passwords are never rotated under a running database", () => {
  const live = liveFromDesired(desiredOf([withDbSecret(32)]));

  it("finds a new db-password while the data volume exists", () => {
    const found = unsafeRotations(desiredOf([withDbSecret(32, 1)]), live);
    expect(found).toHaveLength(1);
    expect(found[0]).toMatchObject({ site: "acme", secret: "db-password" });
    expect(found[0]?.live).toMatch(/^acme_db-password-[0-9a-f]{10}$/);
  });

  it("refuses a new password for data whose secret is gone (a half-finished removal, a secret removed by hand)", () => {
    const gone = { ...live, secrets: live.secrets.filter((s) => !/db-(root-)?password/.test(s.name)) };
    expect(unsafeRotations(desiredOf([withDbSecret(32)]), gone).map((r) => r.secret).sort()).toEqual(["db-password", "db-root-password"]);
  });

  it("accepts the same password, a first creation, and a rotation before any data exists", () => {
    expect(unsafeRotations(desiredOf([withDbSecret(32)]), live)).toEqual([]);
    expect(unsafeRotations(desiredOf([withDbSecret(32, 1)]), { ...live, volumes: live.volumes.filter((v) => v.name !== "acme_db-data") })).toEqual([]);
  });

  it("a pma-password or a site secret may rotate", () => {
    const rotated = site({ secrets: [{ name: "hash-salt", generate: { length: 48, rotation: 1 } }] });
    expect(unsafeRotations(desiredOf([rotated]), liveFromDesired(desiredOf([site()])))).toEqual([]);
  });

  it("a frozen site's plan changes nothing of it", () => {
    const desired = freezeSites(desiredOf([withDbSecret(32, 1)]), new Set(["acme"]));
    const plan = makePlan(desired, live);
    expect(plan.actions.filter((a) => a.site === "acme")).toEqual([]);
    expect(plan.sites.find((s) => s.site === "acme")?.state).toBe("invalid");
  });
});
