import { LABEL } from "../../../controller/desired/labels";
import { desiredOf, site } from "../../fixtures/core/builders";
import { find } from "./helpers";

describe("render: environment and domains", () => {
  const desired = desiredOf([site({ database: { image: "mariadb:11.4", name: "civi", user: "civiuser", env: { MARIADB_AUTO_UPGRADE: "1" }, resources: {} } })]);

  it("configures MariaDB from the manifest, passwords by file", () => {
    expect(find(desired, "service", "acme_db").shape.env).toEqual({
      MARIADB_AUTO_UPGRADE: "1",
      MARIADB_DATABASE: "civi",
      MARIADB_USER: "civiuser",
      MARIADB_PASSWORD_FILE: "/run/secrets/db-password",
      MARIADB_ROOT_PASSWORD_FILE: "/run/secrets/db-root-password",
    });
  });

  it("tells web where its database is, password by file", () => {
    expect(find(desired, "service", "acme_web").shape.env).toEqual({
      DRUPAL_ENV: "production",
      CIVICRM_UF: "Drupal",
      SIMULIUM_SITE: "acme",
      DB_HOST: "acme_db",
      DB_PORT: "3306",
      DB_NAME: "civi",
      DB_USER: "civiuser",
      DB_PASSWORD_FILE: "/run/secrets/db-password",
    });
  });

  it("lets simulium's database settings win over a manifest env of the same name", () => {
    const d = desiredOf([site({ web: { env: { DB_HOST: "elsewhere" } } })]);
    expect(find(d, "service", "acme_web").shape.env.DB_HOST).toBe("acme_db");
  });

  it("puts no password in any environment variable", () => {
    for (const name of ["acme_web", "acme_db"]) {
      const env = find(desired, "service", name).shape.env;
      for (const [k, v] of Object.entries(env)) {
        if (/PASSWORD/.test(k)) expect(v).toMatch(/^\/run\/secrets\//);
      }
    }
  });

  it("carries the domains in a service label, not in the task environment", () => {
    const web = find(desired, "service", "acme_web");
    expect(web.labels[LABEL.domains]).toBe("acme.example.org,www.acme.example.org");
    expect(JSON.stringify(web.shape)).not.toContain("acme.example.org");
  });

  it("changes nothing in the web shape (so no task restarts) when only the domains change", () => {
    const other = desiredOf([site({ domains: ["new.example.org"] })]);
    const base = desiredOf([site()]);
    expect(find(other, "service", "acme_web").shape).toEqual(find(base, "service", "acme_web").shape);
    expect(find(other, "service", "acme_web").labels[LABEL.domains]).toBe("new.example.org");
  });
});
