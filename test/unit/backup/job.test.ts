import { BackupsDisabledError, resticJobSpec } from "../../../controller/backup/job";
import { renderSite } from "../../../controller/desired/render";
import { backupConfig, cluster, site } from "../../fixtures/core/builders";

describe("the restic job of a site", () => {
  const acme = site();

  it("runs the tools image with the site's repository in the backups volume and the password as a file", () => {
    const c = cluster({ backup: backupConfig() });
    const spec = resticJobSpec(acme, renderSite(acme, c), c, { hash: "0123456789" }, { volumesWritable: false });
    expect(spec.shape.image).toBe("simulium/backup:local");
    expect(spec.shape.env).toMatchObject({ RESTIC_REPOSITORY: "/restic/acme", RESTIC_PASSWORD_FILE: "/run/secrets/restic-password", RESTIC_ENV_NAMES: "" });
    expect(spec.shape.mounts).toContainEqual({ source: "sim_backups", target: "/restic", readOnly: false });
    expect(spec.shape.secrets).toContainEqual({ secretName: "sim_restic-password-0123456789", target: "restic-password" });
    // Backups only read the site's volumes.
    expect(spec.shape.mounts.filter((m) => m.target.startsWith("/data/")).every((m) => m.readOnly)).toBe(true);
  });

  it("uses a URL repository per site and passes sealed variables as secret files, by name only", () => {
    const c = cluster({ backup: backupConfig({ repository: { url: "sftp:backup@host:/srv/restic" }, password: { sealed: "AAAA" }, env: { B2_ACCOUNT_KEY: "BBBB" } }) });
    const spec = resticJobSpec(acme, renderSite(acme, c), c, undefined, { volumesWritable: true, env: { EXTRA: "1" } });
    expect(spec.shape.env).toMatchObject({ RESTIC_REPOSITORY: "sftp:backup@host:/srv/restic/acme", RESTIC_ENV_NAMES: "B2_ACCOUNT_KEY", EXTRA: "1" });
    expect(spec.shape.mounts.some((m) => m.target === "/restic")).toBe(false);
    expect(spec.shape.secrets.map((s) => s.target)).toEqual(expect.arrayContaining(["restic-password", "restic-env-B2_ACCOUNT_KEY"]));
    expect(JSON.stringify(spec)).not.toMatch(/AAAA|BBBB/);
  });

  it("says how to enable backups when they are off", () => {
    const c = cluster();
    expect(() => resticJobSpec(acme, renderSite(acme, c), c, undefined, { volumesWritable: false })).toThrow(BackupsDisabledError);
  });
});
