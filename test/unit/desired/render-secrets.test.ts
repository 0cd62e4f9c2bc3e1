import { LABEL } from "../../../controller/desired/labels";
import { desiredOf, site } from "../../fixtures/core/builders";
import { find, ofKind, secretByLogical } from "./helpers";

describe("render: secrets", () => {
  const desired = desiredOf([site()]);

  it("generates the database passwords for a site with a database, without them being declared", () => {
    const logical = ofKind(desired, "secret").map((s) => s.logicalName).sort();
    expect(logical).toEqual(["db-password", "db-root-password", "hash-salt"]);
    expect(secretByLogical(desired, "acme", "db-password").source).toEqual({ generate: { length: 32 } });
  });

  it("lets a declared database secret tune how it is generated", () => {
    const d = desiredOf([site({ secrets: [{ name: "db-password", generate: { length: 64, rotation: 2 } }] })]);
    expect(secretByLogical(d, "acme", "db-password").source).toEqual({ generate: { length: 64 } });
    expect(ofKind(d, "secret").filter((s) => s.logicalName === "db-password")).toHaveLength(1);
  });

  it("never gives the web service the database root password", () => {
    const web = find(desired, "service", "acme_web");
    expect(web.shape.secrets.map((s) => s.target)).toEqual(["db-password", "hash-salt"]);
    const root = secretByLogical(desired, "acme", "db-root-password");
    expect(web.shape.secrets.map((s) => s.secretName)).not.toContain(root.name);
    expect(JSON.stringify(web)).not.toContain("db-root-password");
  });

  it("gives the database exactly its two passwords", () => {
    const db = find(desired, "service", "acme_db");
    expect(db.shape.secrets).toEqual([
      { secretName: secretByLogical(desired, "acme", "db-password").name, target: "db-password" },
      { secretName: secretByLogical(desired, "acme", "db-root-password").name, target: "db-root-password" },
    ]);
  });

  it("mounts each secret under its logical name, whatever its versioned Swarm name", () => {
    const web = find(desired, "service", "acme_web");
    for (const ref of web.shape.secrets) {
      expect(ref.secretName).toBe(secretByLogical(desired, "acme", ref.target).name);
      expect(ref.secretName).not.toBe(ref.target);
    }
  });

  it("labels a secret with its logical name and the hash in its name", () => {
    const s = secretByLogical(desired, "acme", "hash-salt");
    expect(s.labels[LABEL.secret]).toBe("hash-salt");
    expect(s.name).toBe(`acme_hash-salt-${s.labels[LABEL.specHash]}`);
  });

  describe("a secret's name changes if and only if how its value is made changes", () => {
    const nameWith = (generate: { length: number; rotation: number }, extra: Parameters<typeof site>[0] = {}) =>
      secretByLogical(desiredOf([site({ secrets: [{ name: "hash-salt", generate }], ...extra })]), "acme", "hash-salt").name;
    const before = nameWith({ length: 48, rotation: 0 });

    it("a new length is a new secret", () => expect(nameWith({ length: 49, rotation: 0 })).not.toBe(before));
    it("a bumped rotation is a new secret", () => expect(nameWith({ length: 48, rotation: 1 })).not.toBe(before));
    it("rotation 1 and rotation 2 differ too", () => expect(nameWith({ length: 48, rotation: 1 })).not.toBe(nameWith({ length: 48, rotation: 2 })));
    it("the same parameters give the same name", () => expect(nameWith({ length: 48, rotation: 0 })).toBe(before));
    it("an image, env, label or policy change keeps the secret", () => {
      expect(
        nameWith({ length: 48, rotation: 0 }, { web: { image: "drupal:11", env: { X: "1" } }, labels: { other: "x" }, deletionPolicy: "Delete" }),
      ).toBe(before);
    });
  });

  it("puts no secret value anywhere in the desired state: only how to generate it", () => {
    for (const s of ofKind(desired, "secret")) expect(Object.keys(s.source)).toEqual(["generate"]);
    expect(secretByLogical(desired, "acme", "hash-salt").source).toEqual({ generate: { length: 48 } });
  });
});
