import { renderSiteWithFeatures as renderSite } from "../../../controller/features";
import { credentialsJobSpec, formatCredentials } from "../../../controller/jobs/credentials-job";
import { readCommand, WAIT_FOR_READ } from "../../../controller/jobs/read-secret-job";
import { cluster, site } from "../../fixtures/core/builders";

const pma = { image: "simulium/phpmyadmin:1", domain: "db.acme.example.org", user: "client" };

describe("credentials job", () => {
  const rendered = renderSite(site({ access: { phpmyadmin: pma } }), cluster());
  const job = credentialsJobSpec("acme", rendered);

  it("runs in the phpMyAdmin image with its password secret only, on the site network, without volumes or environment", () => {
    const secret = rendered.find((r) => r.kind === "secret" && r.logicalName === "pma-password");
    expect(job?.user).toBe("client");
    expect(job?.spec.shape.image).toBe("simulium/phpmyadmin:1");
    expect(job?.spec.shape.secrets).toEqual([{ secretName: secret?.name, target: "pma-password" }]);
    expect(job?.spec.shape.networks).toEqual(["acme_default"]);
    expect(job?.spec.shape.mounts).toEqual([]);
    expect(job?.spec.shape.env).toEqual({});
    expect(job?.spec.shape.ports).toEqual([]);
    expect(job?.spec.site).toBe("acme");
  });

  it("reads the mounted secret file by exec (the name is an argument, never shell text) and lets the waiting job end", () => {
    const cmd = readCommand("pma-password");
    expect(cmd.slice(-2)).toEqual(["sh", "pma-password"]);
    expect(cmd[2]).toContain('cat "/run/secrets/$1"');
    expect(WAIT_FOR_READ.join(" ")).toContain("until [ -e /tmp/.simulium-secret-read ]");
    expect(cmd[2]).toContain("touch /tmp/.simulium-secret-read");
  });

  it("reads the database user's password in the web image, with that secret only", () => {
    const withDb = renderSite(site({ access: { phpmyadmin: pma } }), cluster());
    const db = credentialsJobSpec("acme", withDb, "database");
    const secret = withDb.find((r) => r.kind === "secret" && r.logicalName === "db-password");
    expect(db?.target).toBe("db-password");
    expect(db?.service).toBe("acme_db");
    expect(db?.spec.role).toBe("web");
    expect(db?.spec.shape.secrets).toEqual([{ secretName: secret?.name, target: "db-password" }]);
    expect(db?.spec.shape.env).toEqual({});
    expect(db?.spec.shape.mounts).toEqual([]);
    expect(db?.spec.shape.networks).toEqual(["acme_default"]);
    expect(job?.service).toBe("acme_phpmyadmin");
  });

  it("is undefined for a site without phpMyAdmin", () => {
    expect(credentialsJobSpec("acme", renderSite(site(), cluster()))).toBeUndefined();
  });

  it("prints one field a line", () => {
    expect(formatCredentials("acme_phpmyadmin", "client", "pw")).toBe("service:  acme_phpmyadmin\nuser:     client\npassword: pw\n");
  });
});
