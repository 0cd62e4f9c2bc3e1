import { LABEL } from "../../../controller/desired/labels";
import { withSpecHash } from "../../../controller/desired/service-hash";
import { cluster, desiredOf, site } from "../../fixtures/core/builders";
import { find } from "./helpers";

describe("render: object names and labels", () => {
  const desired = desiredOf([site({ name: "acme", labels: { team: "web", tier: "gold" } })], { cluster: cluster({ instance: "prod" }) });

  it("names every object of a site after the site", () => {
    const names = desired.resources.map((r) => `${r.kind}/${r.name}`);
    expect(names).toEqual(
      expect.arrayContaining([
        "network/prod_edge",
        "network/acme_default",
        "volume/acme_files",
        "volume/acme_private",
        "volume/acme_db-data",
        "service/acme_web",
        "service/acme_db",
      ]),
    );
    const secrets = desired.resources.filter((r) => r.kind === "secret").map((r) => r.name);
    expect(secrets).toHaveLength(3);
    for (const s of secrets) expect(s).toMatch(/^acme_(hash-salt|db-password|db-root-password)-[0-9a-f]{10}$/);
  });

  it("labels every site object with the instance, the site, the stack namespace and the user labels", () => {
    for (const r of desired.resources.filter((x) => x.site !== null)) {
      expect(r.labels).toMatchObject({
        [LABEL.instance]: "prod",
        [LABEL.site]: "acme",
        [LABEL.stackNamespace]: "acme",
        "simulium.label.team": "web",
        "simulium.label.tier": "gold",
      });
      // Services get theirs from the plan, when they are created or updated.
      const labels = r.kind === "service" ? withSpecHash(r).labels : r.labels;
      expect(labels[LABEL.specHash]).toMatch(/^[0-9a-f]{10,12}$/);
    }
  });

  it("never puts user labels under their bare key, where they could clash with simulium's", () => {
    const web = find(desired, "service", "acme_web");
    expect(web.labels).not.toHaveProperty("team");
    expect(web.labels).not.toHaveProperty("tier");
  });

  it("leaves the commit label to apply: it is no part of the desired state", () => {
    for (const r of desired.resources) {
      expect(r.labels).not.toHaveProperty(LABEL.commit);
      if (r.kind === "service") expect(r.shape.taskLabels).not.toHaveProperty(LABEL.commit);
    }
  });

  it("labels the shared edge network with the instance only, not with any site", () => {
    const edge = find(desired, "network", "prod_edge");
    expect(edge.site).toBeNull();
    expect(edge.labels).toMatchObject({ [LABEL.instance]: "prod", [LABEL.stackNamespace]: "prod" });
    expect(edge.labels).not.toHaveProperty(LABEL.site);
  });

  it("gives each object its role", () => {
    expect(find(desired, "service", "acme_web").labels[LABEL.role]).toBe("web");
    expect(find(desired, "service", "acme_db").labels[LABEL.role]).toBe("db");
    expect(find(desired, "network", "acme_default").labels[LABEL.role]).toBe("network");
    expect(find(desired, "volume", "acme_files").labels[LABEL.role]).toBe("volume");
    expect(find(desired, "volume", "acme_db-data").labels[LABEL.role]).toBe("db-data");
  });

  it("records the deletion policy on the web service only, where a removed site's policy is read from", () => {
    const d = desiredOf([site({ deletionPolicy: "Delete" })]);
    expect(find(d, "service", "acme_web").labels[LABEL.deletionPolicy]).toBe("Delete");
    // Only the service carries it: a volume's labels are fixed at creation (plan/plan.ts removal()).
    expect(find(d, "volume", "acme_files").labels[LABEL.deletionPolicy]).toBeUndefined();
    for (const s of d.resources.filter((r) => r.kind === "secret")) expect(s.labels[LABEL.deletionPolicy]).toBeUndefined();
  });

  it("keeps task labels to the stable instance/site/role triple, so a label edit never restarts tasks", () => {
    const web = find(desired, "service", "acme_web");
    expect(web.shape.taskLabels).toEqual({ [LABEL.instance]: "prod", [LABEL.site]: "acme", [LABEL.role]: "web" });
    expect(find(desired, "service", "acme_db").shape.taskLabels).toEqual({ [LABEL.instance]: "prod", [LABEL.site]: "acme", [LABEL.role]: "db" });
  });

  it("fits every name of a 40-character site (the schema's longest) within Swarm's limits", () => {
    const long = "a".repeat(40);
    const d = desiredOf([site({ name: long, database: undefined, secrets: [{ name: "salt", generate: { length: 32, rotation: 0 } }], volumes: [{ name: "files", mountPath: "/files", readOnly: false }] })]);
    for (const r of d.resources) expect(r.name.length).toBeLessThanOrEqual(r.kind === "secret" ? 64 : 63);
    expect(d.resources.find((r) => r.kind === "secret")?.name).toHaveLength(40 + 1 + 4 + 1 + 10);
  });

  it("fits the generated database secrets of the longest site name the validator allows with a database (36)", () => {
    const d = desiredOf([site({ name: "b".repeat(36), secrets: [] })]);
    const secrets = d.resources.filter((r) => r.kind === "secret");
    expect(secrets.map((s) => s.name.length).sort()).toEqual([59, 64]);
  });
});
