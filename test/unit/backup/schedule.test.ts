import { backupEntries } from "../../../controller/backup/schedule";
import { backupUpdate, renderBackupRecord } from "../../../controller/backup/record";
import { backupConfig, cluster, site } from "../../fixtures/core/builders";

const config = backupConfig({ image: "b" });

describe("scheduled backups", () => {
  it("schedule a backup and a check per site with spec.backup, never overlapping", () => {
    const sites = [site({ name: "a", backup: { schedule: "0 3 * * *", keep: 7 } }), site({ name: "b" }), site({ name: "c", suspend: true, backup: { schedule: "0 4 * * *", keep: 7 } })];
    expect(backupEntries(sites, cluster({ backup: config }))).toEqual([
      { site: "a", name: "backup", schedule: "0 3 * * *", command: ["simulium", "backup", "a"], timeout: 14400, allowOverlap: false },
      { site: "a", name: "check", schedule: "30 4 * * 0", command: ["restic", "check"], timeout: 14400, allowOverlap: false },
    ]);
  });

  it("schedule nothing while backups are off in simulium.yaml", () => {
    expect(backupEntries([site({ name: "a", backup: { schedule: "0 3 * * *", keep: 7 } })], cluster())).toEqual([]);
  });
});

describe("the backup record", () => {
  const ok = { startedAt: "2026-11-25T03:00:00Z", ok: true, run: "r1", durationSeconds: 12, exitCode: 0, message: "backup r1", snapshots: ["aaaaaaaa"] };

  it("keeps the last success through a failure", () => {
    const first = backupUpdate({}, ok);
    expect(first.lastSuccessAt).toBe("2026-11-25T03:00:00Z");
    const failed = backupUpdate(first, { ...ok, startedAt: "2026-11-26T03:00:00Z", ok: false, run: "r2", exitCode: 21, message: "the database dump failed\nlast line" });
    expect(failed).toMatchObject({ lastSuccessAt: "2026-11-25T03:00:00Z", lastBackup: { ok: false, run: "r2", exitCode: 21 } });
    expect(renderBackupRecord("acme", { ...first, ...failed, lastCheck: { at: "2026-11-24T04:30:00Z", ok: true, message: "no errors were found" } })).toBe(
      "acme: last backup 2026-11-26T03:00:00Z FAILED (run r2): the database dump failed; last success 2026-11-25T03:00:00Z; last check 2026-11-24T04:30:00Z ok\n",
    );
    expect(renderBackupRecord("acme", {})).toBe("acme: no backup recorded\n");
  });
});
