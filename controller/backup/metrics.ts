import { Counter, Gauge, Histogram, Registry } from "prom-client";
import type { CronMetrics } from "../jobs/cron-metrics";
import type { CronResult } from "../jobs/cron-plan";
import { CHECK_ENTRY } from "./schedule";

/**
 * The backup series, fed by the cron scheduler that runs the backups and checks (its entries
 * are named `backup` and `check`), so skips and history come from the same machinery.
 */
export function createBackupMetrics(registry: Registry): CronMetrics {
  const registers = [registry];
  const runs = new Counter({ name: "simulium_backup_runs_total", help: "Backup runs that ended, by result.", labelNames: ["site", "result"] as const, registers });
  const failures = new Counter({ name: "simulium_backup_failures_total", help: "Backup runs that did not succeed.", labelNames: ["site"] as const, registers });
  const skipped = new Counter({ name: "simulium_backup_skipped_total", help: "Backup or check ticks skipped because the previous one was still going.", labelNames: ["site", "job"] as const, registers });
  const duration = new Histogram({ name: "simulium_backup_duration_seconds", help: "Duration of backup runs.", labelNames: ["site"] as const, buckets: [5, 30, 60, 300, 900, 3600, 14400], registers });
  const lastSuccess = new Gauge({ name: "simulium_backup_last_success_timestamp_seconds", help: "Unix time of the end of the last successful backup.", labelNames: ["site"] as const, registers });
  const checkOk = new Gauge({ name: "simulium_backup_check_ok", help: "1 when the last restic check of the site's repository found no error, 0 when it failed.", labelNames: ["site"] as const, registers });
  const checkAt = new Gauge({ name: "simulium_backup_check_timestamp_seconds", help: "Unix time of the end of the last restic check.", labelNames: ["site"] as const, registers });
  return {
    recordRun(site: string, job: string, result: CronResult, durationSeconds: number, endedAtMs: number) {
      if (job === CHECK_ENTRY) {
        checkOk.set({ site }, result === "success" ? 1 : 0);
        checkAt.set({ site }, endedAtMs / 1000);
        return;
      }
      runs.inc({ site, result });
      duration.observe({ site }, durationSeconds);
      if (result === "success") lastSuccess.set({ site }, endedAtMs / 1000);
      else failures.inc({ site });
    },
    recordSkip: (site: string, job: string) => skipped.inc({ site, job }),
    forget(site: string, job: string) {
      skipped.remove({ site, job });
      if (job === CHECK_ENTRY) {
        checkOk.remove({ site });
        checkAt.remove({ site });
        return;
      }
      duration.remove({ site });
      lastSuccess.remove({ site });
      failures.remove({ site });
      for (const result of ["success", "failure", "timeout", "error"]) runs.remove({ site, result });
    },
  };
}
