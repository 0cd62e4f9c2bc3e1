import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { controllerSecretsPresent } from "../../../controller/jobs/recover-state";
import { StateStore } from "../../../controller/state/store";
import { backupConfig, cluster } from "../../fixtures/core/builders";

/**
 * Which controller secrets a state directory must hold before the daemon plans: only those the
 * cluster uses. A sealed restic password lives in simulium.yaml (its Swarm secret carries a
 * hash of the ciphertext, never of the value): demanding it from the state made every run of
 * such a daemon read it back and fail the hash check.
 */
const dir = mkdtempSync(path.join(os.tmpdir(), "simulium-recover-state-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const varnish = { image: "varnish:7.5", port: 80, replicas: 1, mode: "replicated" as const, constraints: [], cacheSize: "256M", optimiseVcl: false, vcl: {} };

describe("controllerSecretsPresent", () => {
  const store = new StateStore(dir, "sim", "read-write");

  it("asks nothing of a cluster with neither Varnish nor generated backups", () => {
    expect(controllerSecretsPresent(cluster(), store)).toBe(true);
  });

  it("asks for the Varnish secret when Varnish is configured, and the restic password only when it is generated", () => {
    expect(controllerSecretsPresent(cluster({ varnish }), store)).toBe(false);
    store.createOnce("varnish-secret", "v");
    expect(controllerSecretsPresent(cluster({ varnish }), store)).toBe(true);
    expect(controllerSecretsPresent(cluster({ varnish, backup: backupConfig({ password: { sealed: "YWdl" } }) }), store)).toBe(true);
    expect(controllerSecretsPresent(cluster({ varnish, backup: backupConfig() }), store)).toBe(false);
    store.createOnce("restic-password", "r");
    expect(controllerSecretsPresent(cluster({ varnish, backup: backupConfig() }), store)).toBe(true);
  });
});
