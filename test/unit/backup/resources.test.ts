import { backupsVolumeName } from "../../../controller/backup/names";
import { renderBackupResources } from "../../../controller/backup/resources";
import { renderDesired } from "../../../controller/desired/render";
import { LABEL } from "../../../controller/desired/labels";
import { makePlan } from "../../../controller/plan/plan";
import { backupConfig, cluster, site } from "../../fixtures/core/builders";
import { liveFromDesired } from "../../fixtures/core/live";

describe("the cluster's backup objects", () => {
  it("are nothing while backups are off", () => {
    expect(renderBackupResources(cluster(), undefined)).toEqual([]);
  });

  it("are the password secret (value provided, name by its hash) and the backups volume", () => {
    const out = renderBackupResources(cluster({ backup: backupConfig() }), { hash: "0123456789" });
    expect(out.map((r) => [r.kind, r.name, r.site])).toEqual([
      ["secret", "sim_restic-password-0123456789", null],
      ["volume", "sim_backups", null],
    ]);
    expect(out[0]).toMatchObject({ logicalName: "restic-password", source: { provided: true } });
    expect(out[1]?.labels).toMatchObject({ [LABEL.instance]: "sim", [LABEL.deletionPolicy]: "Retain" });
  });

  it("name a sealed password and each sealed variable by their ciphertext, never by a value", () => {
    const out = renderBackupResources(
      cluster({ backup: backupConfig({ repository: { url: "s3:https://s3.example.org/bucket" }, password: { sealed: "AAAA" }, env: { AWS_SECRET_ACCESS_KEY: "BBBB", AWS_ACCESS_KEY_ID: "CCCC" } }) }),
      undefined,
    );
    expect(out.map((r) => r.kind)).toEqual(["secret", "secret", "secret"]);
    expect(out.map((r) => (r.kind === "secret" ? r.logicalName : ""))).toEqual(["restic-password", "restic-env-AWS_ACCESS_KEY_ID", "restic-env-AWS_SECRET_ACCESS_KEY"]);
    expect(out.every((r) => r.kind === "secret" && "sealed" in r.source)).toBe(true);
    const names = out.map((r) => r.name);
    expect(new Set(names).size).toBe(3);
    for (const n of names) expect(n).toMatch(/^sim_restic-(password|env)-[0-9a-f]{10}$/);
    // A re-sealed value is a new secret.
    const again = renderBackupResources(cluster({ backup: backupConfig({ password: { sealed: "AAAB" } }) }), undefined);
    expect(again[0]?.name).not.toBe(names[0]);
  });

  it("fail loudly when a generated password's hash was not given", () => {
    expect(() => renderBackupResources(cluster({ backup: backupConfig() }), undefined)).toThrow(/no generated restic password/);
  });

  it("keep the backups volume when simulium.yaml stops declaring it, or when every site goes", () => {
    const on = cluster({ backup: backupConfig() });
    const live = liveFromDesired(renderDesired({ sites: [site()], cluster: on, instanceResources: renderBackupResources(on, { hash: "0123456789" }) }));
    for (const plan of [makePlan(renderDesired({ sites: [site()], cluster: cluster() }), live), makePlan(renderDesired({ sites: [], cluster: cluster() }), live)]) {
      const volume = plan.actions.find((a) => a.name === backupsVolumeName("sim"));
      expect(volume).toMatchObject({ op: "retain" });
    }
  });
});
