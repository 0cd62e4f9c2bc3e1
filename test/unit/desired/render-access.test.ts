import { renderSite } from "../../../controller/desired/render";
import { serviceSpecHash } from "../../../controller/desired/service-hash";
import { cluster, desiredOf, site } from "../../fixtures/core/builders";
import { find, secretByLogical } from "./helpers";

const KEYS = ["ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOXl dev@a", "ssh-rsa AAAAB3NzaC1yc2EAAAADAQAB ops@b"];
const pma = { image: "simulium/phpmyadmin:1", domain: "db.acme.example.org", user: "client" };
const ssh = { image: "simulium/ssh:1", port: 2222, keys: KEYS };

describe("render: spec.access.phpmyadmin", () => {
  const desired = desiredOf([site({ access: { phpmyadmin: pma } })]);
  const service = find(desired, "service", "acme_phpmyadmin");
  const password = secretByLogical(desired, "acme", "pma-password");

  it("joins the site network (its database) and the tools network (Varnish), never the edge, publishing nothing", () => {
    expect(service.role).toBe("phpmyadmin");
    expect(service.shape.image).toBe("simulium/phpmyadmin:1");
    expect(service.shape.networks).toEqual(["acme_default", "sim_tools"]);
    expect(service.shape.ports).toEqual([]);
    expect(service.shape.mounts).toEqual([]);
  });

  it("gets a generated basic-auth password as its only secret, and the database's address", () => {
    expect(password.source).toEqual({ generate: { length: 32 } });
    expect(password.name).toMatch(/^acme_pma-password-[0-9a-f]{10}$/);
    expect(service.shape.secrets).toEqual([{ secretName: password.name, target: "pma-password" }]);
    expect(service.shape.env).toEqual({
      PMA_DB_HOST: "acme_db",
      PMA_DB_PORT: "3306",
      PMA_AUTH_USER: "client",
      PMA_AUTH_PASSWORD_FILE: "/run/secrets/pma-password",
    });
  });

  it("carries its domain on the service, for routing while the manifest is invalid", () => {
    expect(service.labels["simulium.domains"]).toBe("db.acme.example.org");
  });

  it("keeps its password from the web service (and so from SSH)", () => {
    const web = find(desired, "service", "acme_web");
    expect(web.shape.secrets.map((s) => s.target)).not.toContain("pma-password");
  });

  it("keeps a declared pma-password (a rotation) instead of the default", () => {
    const rotated = desiredOf([site({ access: { phpmyadmin: pma }, secrets: [{ name: "pma-password", generate: { length: 40, rotation: 1 } }] })]);
    const secret = secretByLogical(rotated, "acme", "pma-password");
    expect(secret.source).toEqual({ generate: { length: 40 } });
    expect(secret.name).not.toBe(password.name);
    expect(find(rotated, "service", "acme_phpmyadmin").shape.secrets).toEqual([{ secretName: secret.name, target: "pma-password" }]);
  });
});

describe("render: spec.access.ssh", () => {
  const desired = desiredOf([site({ mail: undefined, access: { ssh } })]);
  const service = find(desired, "service", "acme_ssh");
  const web = find(desired, "service", "acme_web");

  it("mounts the web's volumes at the same paths and its secrets, never the database root password", () => {
    expect(service.role).toBe("ssh");
    expect(service.shape.mounts).toEqual(web.shape.mounts);
    // The web's secrets, plus the server's own host key (root-only).
    expect(service.shape.secrets.filter((s) => s.target !== "ssh-host-key")).toEqual(web.shape.secrets);
    expect(service.shape.secrets.map((s) => s.target)).toEqual(["db-password", "hash-salt", "ssh-host-key"]);
  });

  it("has the web's environment plus the keys and the writable volume paths", () => {
    expect(service.shape.env).toEqual({
      ...web.shape.env,
      SSH_AUTHORIZED_KEYS: KEYS.join("\n"),
      SSH_WRITABLE_PATHS: "/var/www/html/sites/default/files\n/var/www/private",
    });
    expect(service.shape.env.DB_HOST).toBe("acme_db");
  });

  it("leaves read-only volumes out of the writable paths", () => {
    const ro = desiredOf([site({ access: { ssh }, volumes: [{ name: "files", mountPath: "/srv/files", readOnly: true }] })]);
    expect(find(ro, "service", "acme_ssh").shape.env.SSH_WRITABLE_PATHS).toBe("");
  });

  it("is on the site's network only and publishes its port in host mode, the old task stopping first", () => {
    expect(service.shape.networks).toEqual(["acme_default"]);
    expect(service.shape.ports).toEqual([{ target: 22, published: 2222, protocol: "tcp", mode: "host" }]);
    expect(service.shape.replicas).toBe(1);
    expect(service.shape.update.order).toBe("stop-first");
    expect(service.shape.constraints).toEqual(["node.role==worker"]);
  });

  it("follows a change of the web's environment, and restarts only itself when a key is added", () => {
    const env = desiredOf([site({ access: { ssh }, web: { env: { DRUPAL_ENV: "staging" } } })]);
    expect(find(env, "service", "acme_ssh").shape.env.DRUPAL_ENV).toBe("staging");
    const more = desiredOf([site({ access: { ssh: { ...ssh, keys: [...KEYS, "ssh-ed25519 AAAAC3Nzzz x"] } } })]);
    expect(serviceSpecHash(find(more, "service", "acme_web"))).toBe(serviceSpecHash(web));
    expect(serviceSpecHash(find(more, "service", "acme_ssh"))).not.toBe(serviceSpecHash(service));
  });
});

describe("render: a site without spec.access", () => {
  it("has no access services and no phpMyAdmin secret: adding the feature changes nothing for it", () => {
    const names = renderSite(site(), cluster()).map((r) => `${r.kind}/${r.name}`);
    expect(names.filter((n) => /phpmyadmin|_ssh|pma-password/.test(n))).toEqual([]);
    const disabledLike = renderSite(site({ access: {} }), cluster());
    expect(disabledLike).toEqual(renderSite(site(), cluster()));
  });
});
