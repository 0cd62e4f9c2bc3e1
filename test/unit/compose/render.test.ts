import { parse } from "yaml";
import { renderCompose, SEALED_PLACEHOLDER } from "../../../controller/compose/render";
import { cluster, site } from "../../fixtures/core/builders";

interface ComposeDoc {
  version: string;
  services: Record<string, { image: string; environment: Record<string, string>; ports?: string[]; volumes?: string[]; secrets?: { source: string; target: string }[]; networks?: unknown; depends_on?: string[]; command?: string[] }>;
  volumes?: Record<string, unknown>;
  secrets?: Record<string, { file: string }>;
}

describe("compose: a site for a laptop", () => {
  const s = site();
  const out = renderCompose({ site: s, cluster: cluster(), port: 8081, secretsDir: "/tmp/acme-secrets" });
  const doc = parse(out.text) as ComposeDoc;

  it("has web and db with the production images and environment", () => {
    expect(doc.version).toBe("3.8");
    expect(Object.keys(doc.services)).toEqual(["web", "db"]);
    expect(doc.services.web!.image).toBe(s.web.image);
    expect(doc.services.web!.environment).toMatchObject({ SIMULIUM_SITE: s.name, DB_HOST: `${s.name}_db`, DB_PASSWORD_FILE: "/run/secrets/db-password" });
    expect(doc.services.db!.networks).toEqual({ default: { aliases: [`${s.name}_db`] } });
    expect(doc.services.db!.environment).toMatchObject({ MARIADB_PASSWORD_FILE: "/run/secrets/db-password" });
    expect(doc.services.web!.depends_on).toEqual(["db"]);
  });

  it("publishes the web port on loopback only", () => {
    expect(doc.services.web!.ports).toEqual([`127.0.0.1:8081:${s.web.port}`]);
    expect(doc.services.db!.ports).toBeUndefined();
  });

  it("mounts the site's volumes by their manifest names", () => {
    expect(doc.volumes).toEqual(Object.fromEntries([...s.volumes.map((v) => v.name), "db-data"].map((n) => [n, {}])));
    expect(doc.services.web!.volumes).toEqual(s.volumes.map((v) => `${v.name}:${v.mountPath}${v.readOnly ? ":ro" : ""}`).sort((a, b) => a.split(":")[1]!.localeCompare(b.split(":")[1]!)));
    expect(doc.services.db!.volumes).toEqual(["db-data:/var/lib/mysql"]);
  });

  it("gives secrets as files; the web tier never gets the root password", () => {
    const names = out.secrets.map((x) => x.name).sort();
    expect(Object.keys(doc.secrets ?? {}).sort()).toEqual(names);
    expect(doc.secrets?.["db-password"]).toEqual({ file: "/tmp/acme-secrets/db-password" });
    expect(doc.services.web!.secrets?.map((x) => x.source)).not.toContain("db-root-password");
    expect(doc.services.db!.secrets?.map((x) => x.source)).toEqual(["db-password", "db-root-password"]);
  });

  it("marks sealed secrets as placeholders, in the file and the header", () => {
    const sealed = site({ secrets: [{ name: "smtp-password", sealed: { ciphertext: "YWdlLWVuY3J5cHRpb24ub3JnL3YxCg==", index: 0, line: 9, column: 7 } }] });
    const o = renderCompose({ site: sealed, cluster: cluster(), port: 8080, secretsDir: "d" });
    expect(o.secrets.find((x) => x.name === "smtp-password")?.source).toEqual({ sealed: true });
    expect(o.text).toMatch(/^# Sealed in production, a placeholder here: smtp-password\./m);
    expect(o.text).not.toContain("YWdlLWVu");
    expect(SEALED_PLACEHOLDER).toMatch(/^[a-z-]+$/);
  });

  it("a site without a database has web only", () => {
    const d = parse(renderCompose({ site: site({ database: undefined }), cluster: cluster(), port: 8080, secretsDir: "d" }).text) as ComposeDoc;
    expect(Object.keys(d.services)).toEqual(["web"]);
    expect(d.services.web!.depends_on).toBeUndefined();
    expect(d.services.web!.environment.DB_HOST).toBeUndefined();
  });
});
