import { StateStore } from "../state/store";

/** The last backup and check of a site, kept in the controller's state directory so the CLI, the daemon and a restarted daemon see the same. */
export interface BackupRecord {
  readonly lastBackup?: {
    readonly at: string;
    readonly ok: boolean;
    readonly run: string;
    readonly durationSeconds: number;
    readonly exitCode: number | null;
    /** Never a secret: restic and mariadb-dump messages, with the job's last lines on failure. */
    readonly message: string;
    readonly snapshots: readonly string[];
  };
  readonly lastSuccessAt?: string;
  readonly lastCheck?: { readonly at: string; readonly ok: boolean; readonly message: string };
}

/** Where in the state directory (state/store.ts) a site's record lives. */
const recordFile = (site: string): string => `backups/${site}.json`;

export function readBackupRecord(stateDir: string, instance: string, site: string): BackupRecord {
  const text = new StateStore(stateDir, instance, "read-only").read(recordFile(site));
  if (text === undefined) return {};
  try {
    return JSON.parse(text.toString("utf8")) as BackupRecord;
  } catch {
    return {};
  }
}

/** Merges the update into the site's record; the store replaces the file whole, so a reader never sees half of it. */
export function updateBackupRecord(stateDir: string, instance: string, site: string, update: Partial<BackupRecord>): BackupRecord {
  const next = { ...readBackupRecord(stateDir, instance, site), ...update };
  new StateStore(stateDir, instance, "read-write").replace(recordFile(site), JSON.stringify(next, null, 2) + "\n");
  return next;
}

/** The record after a backup run. Pure. */
export function backupUpdate(previous: BackupRecord, r: { startedAt: string; ok: boolean; run: string; durationSeconds: number; exitCode: number | null; message: string; snapshots: readonly string[] }): Partial<BackupRecord> {
  return {
    lastBackup: { at: r.startedAt, ok: r.ok, run: r.run, durationSeconds: r.durationSeconds, exitCode: r.exitCode, message: r.message, snapshots: r.snapshots },
    ...(r.ok ? { lastSuccessAt: r.startedAt } : previous.lastSuccessAt !== undefined ? { lastSuccessAt: previous.lastSuccessAt } : {}),
  };
}

/** A backup run's outcome, as the CLI, the schedule and the pre-deploy hook record it. */
export interface BackupOutcome {
  readonly startedAt: string;
  readonly ok: boolean;
  readonly run: string;
  readonly durationSeconds: number;
  readonly exitCode: number | null;
  readonly message: string;
  readonly snapshots: readonly { readonly shortId: string }[];
}

/** Writes a backup run into the site's record (a failed run keeps the last success). */
export function recordBackup(stateDir: string, instance: string, site: string, r: BackupOutcome): BackupRecord {
  const update = backupUpdate(readBackupRecord(stateDir, instance, site), { ...r, snapshots: r.snapshots.map((s) => s.shortId) });
  return updateBackupRecord(stateDir, instance, site, update);
}

/** One line for `simulium status SITE`. Pure. */
export function renderBackupRecord(site: string, r: BackupRecord): string {
  const backup = r.lastBackup
    ? `last backup ${r.lastBackup.at} ${r.lastBackup.ok ? "ok" : "FAILED"} (run ${r.lastBackup.run})${r.lastBackup.ok ? "" : `: ${r.lastBackup.message.split("\n")[0]}`}`
    : "no backup recorded";
  const success = r.lastBackup && !r.lastBackup.ok ? `; last success ${r.lastSuccessAt ?? "never"}` : "";
  const check = r.lastCheck ? `; last check ${r.lastCheck.at} ${r.lastCheck.ok ? "ok" : `FAILED: ${r.lastCheck.message.split("\n")[0]}`}` : "";
  return `${site}: ${backup}${success}${check}\n`;
}
