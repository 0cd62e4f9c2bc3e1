import { tailLines } from "../jobs/cron-plan";
import { EXIT, LOCK_WAIT_S } from "./scripts";

export type BackupOperation = "backup" | "list" | "verify" | "restore" | "check";

/** What an exit code of a backup job means, for an operator. Pure. */
export function describeExit(op: BackupOperation, exitCode: number): string {
  switch (exitCode) {
    case 0:
      return `${op} succeeded`;
    case EXIT.repository:
      return "the restic repository cannot be opened (wrong password, unreachable, or not created yet)";
    case EXIT.databaseDump:
      return "the database dump failed; this run left no snapshot";
    case EXIT.volumes:
      return "backing up the volumes failed; this run left no snapshot";
    case EXIT.retention:
      return "the backup was made but removing old snapshots (restic forget --prune) failed; they are still in the repository";
    case EXIT.verify:
      return "restic could not verify the backup (a damaged or missing pack, or a failed check); nothing of the site was changed";
    case EXIT.loadFailed:
      return "the dump did not load into the staging schema; the live database is untouched";
    case EXIT.swapFailed:
      return "swapping the restored database in failed; the output says which state the database is in";
    case EXIT.rsync:
      return "copying the restored files back into the volumes failed; the database is already restored";
    case EXIT.locked:
      return (
        `another job held the restic repository's lock (a backup's prune or a check; for a prune or check, any job) for ${LOCK_WAIT_S / 60} minutes of waiting, and this job stopped; its last lines say at which step. ` +
        "A killed job's lock is removed once restic finds it stale, after 30 minutes"
      );
    case EXIT.incomplete:
      return "the backup failed and its snapshots could not be removed: the run stays in the repository. When it lacks a part, simulium backups shows it as incomplete and a restore of latest passes over it; a dump cut short is passed over when verified; volumes partly read (restic exit 3) are not told apart";
    case EXIT.dumpIncomplete:
      return "the run's database dump did not complete (a failed backup that stayed in the repository); nothing of the site was changed";
    default:
      return `${op} failed with exit code ${exitCode}`;
  }
}

/** A one-paragraph message: the meaning, then the job's last lines. Pure. */
export function failureMessage(op: BackupOperation, exitCode: number, output: string): string {
  const tail = tailLines(output, 10).trim();
  return `${describeExit(op, exitCode)} (exit ${exitCode})${tail ? `:\n${tail}` : ""}`;
}
