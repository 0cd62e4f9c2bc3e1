import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { backupSecretValues, ensureResticPassword, resticPasswordPath } from "../../../controller/backup/password";
import { backupSecrets } from "../../../controller/backup/resources";
import type { ResolvedBackupConfig } from "../../../controller/manifests/types";
import { backupConfig, cluster } from "../../fixtures/core/builders";

let dir: string;
beforeEach(() => (dir = mkdtempSync(path.join(os.tmpdir(), "simulium-restic-pw-"))));
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const config = (over: Partial<ResolvedBackupConfig> = {}): ResolvedBackupConfig => backupConfig({ image: "b", ...over });

describe("the restic password", () => {
  it("is generated once (mode 0600) and never replaced; its hash names the secret", () => {
    const first = ensureResticPassword(dir, "sim");
    const file = resticPasswordPath(dir, "sim");
    const value = readFileSync(file, "utf8");
    expect(value.length).toBeGreaterThanOrEqual(40);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(ensureResticPassword(dir, "sim")).toEqual(first);
    expect(readFileSync(file, "utf8")).toBe(value);
    expect(first.hash).not.toContain(value.slice(0, 10));
  });

  it("is given to apply by secret name only: the generated file's value, or the unsealed cluster values", () => {
    const generated = cluster({ backup: config() });
    const lookup = backupSecretValues(generated, dir, new Map());
    const [secret] = backupSecrets("sim", config(), ensureResticPassword(dir, "sim"));
    expect(lookup(secret?.name ?? "")?.toString()).toBe(readFileSync(resticPasswordPath(dir, "sim"), "utf8"));
    expect(lookup("sim_other-0123456789")).toBeUndefined();

    const sealed = config({ password: { sealed: "PW" }, env: { AWS_ACCESS_KEY_ID: "KEY", BROKEN: "BAD" } });
    // As unsealCluster gives them: by setting name; BROKEN did not decrypt.
    const unsealed = new Map([
      ["restic-password", Buffer.from("plain-PW")],
      ["AWS_ACCESS_KEY_ID", Buffer.from("plain-KEY")],
    ]);
    const values = backupSecretValues(cluster({ backup: sealed }), dir, unsealed);
    const names = backupSecrets("sim", sealed, undefined);
    expect(names.map((s) => [s.logicalName, values(s.name)?.toString()])).toEqual([
      ["restic-password", "plain-PW"],
      ["restic-env-AWS_ACCESS_KEY_ID", "plain-KEY"],
      // Left out: apply fails on this one secret, by name, instead of every site's reconcile.
      ["restic-env-BROKEN", undefined],
    ]);
  });

  it("is nothing while backups are off", () => {
    writeFileSync(path.join(dir, "unrelated"), "x");
    expect(backupSecretValues(cluster(), dir, new Map([["restic-password", Buffer.from("x")]]))("anything")).toBeUndefined();
  });
});
