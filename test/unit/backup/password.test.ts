import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { backupSecretValues, generatedPasswordFor } from "../../../controller/backup/password";
import { hashOfValue } from "../../../controller/state/controller-secret";
import { StateMissingError } from "../../../controller/state/errors";
import { StateStore } from "../../../controller/state/store";
import { backupSecrets } from "../../../controller/backup/resources";
import type { ResolvedBackupConfig } from "../../../controller/manifests/types";
import { backupConfig, cluster } from "../../fixtures/core/builders";

let dir: string;
beforeEach(() => (dir = mkdtempSync(path.join(os.tmpdir(), "simulium-restic-pw-"))));
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const config = (over: Partial<ResolvedBackupConfig> = {}): ResolvedBackupConfig => backupConfig({ image: "b", ...over });

describe("the restic password", () => {
  it("a backup job reads it from the state directory, never makes it", () => {
    const on = cluster({ instance: "sim", backup: config() });
    expect(() => generatedPasswordFor(on, new StateStore(dir, "sim", "read-only"))).toThrow(StateMissingError);
    new StateStore(dir, "sim", "read-write").createOnce("restic-password", "the-password");
    expect(generatedPasswordFor(on, new StateStore(dir, "sim", "read-only"))).toEqual({ hash: hashOfValue(Buffer.from("the-password")) });
    expect(generatedPasswordFor(cluster({ instance: "sim" }), new StateStore(dir, "sim", "read-only"))).toBeUndefined();
  });

  it("is given to apply by secret name only: the generated file's value, or the unsealed cluster values", () => {
    const generated = cluster({ backup: config() });
    const value = Buffer.from("generated-value");
    const lookup = backupSecretValues(generated, value, new Map());
    const [secret] = backupSecrets("sim", config(), { hash: hashOfValue(value) });
    expect(lookup(secret?.name ?? "")?.toString()).toBe("generated-value");
    expect(lookup("sim_other-0123456789")).toBeUndefined();

    const sealed = config({ password: { sealed: "PW" }, env: { AWS_ACCESS_KEY_ID: "KEY", BROKEN: "BAD" } });
    // As unsealCluster gives them: by setting name; BROKEN did not decrypt.
    const unsealed = new Map([
      ["restic-password", Buffer.from("plain-PW")],
      ["AWS_ACCESS_KEY_ID", Buffer.from("plain-KEY")],
    ]);
    const values = backupSecretValues(cluster({ backup: sealed }), undefined, unsealed);
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
    expect(backupSecretValues(cluster(), undefined, new Map([["restic-password", Buffer.from("x")]]))("anything")).toBeUndefined();
  });
});
