import { Counter, Gauge, Histogram, Registry } from "prom-client";
import type { CronResult } from "./cron-plan";

export interface CronMetrics {
  recordRun(site: string, cron: string, result: CronResult, durationSeconds: number, endedAtMs: number): void;
  recordSkip(site: string, cron: string): void;
  /** A removed entry's series go: a gauge of a cron that no longer exists would alert forever. */
  forget(site: string, cron: string): void;
}

/** The cron series, in the daemon's registry. */
export function createCronMetrics(registry: Registry): CronMetrics {
  const registers = [registry];
  const runs = new Counter({ name: "simulium_cron_runs_total", help: "Cron runs that ended, by result.", labelNames: ["site", "cron", "result"] as const, registers });
  const skipped = new Counter({
    name: "simulium_cron_skipped_total",
    help: "Cron ticks skipped because the previous run was still going.",
    labelNames: ["site", "cron"] as const,
    registers,
  });
  const duration = new Histogram({
    name: "simulium_cron_duration_seconds",
    help: "Duration of cron runs (job creation to removal).",
    labelNames: ["site", "cron"] as const,
    buckets: [1, 5, 15, 30, 60, 300, 900, 3600],
    registers,
  });
  const lastSuccess = new Gauge({
    name: "simulium_cron_last_success_timestamp_seconds",
    help: "Unix time of the end of the last successful run.",
    labelNames: ["site", "cron"] as const,
    registers,
  });
  return {
    recordRun(site, cron, result, durationSeconds, endedAtMs) {
      runs.inc({ site, cron, result });
      duration.observe({ site, cron }, durationSeconds);
      if (result === "success") lastSuccess.set({ site, cron }, endedAtMs / 1000);
    },
    recordSkip: (site, cron) => skipped.inc({ site, cron }),
    forget(site, cron) {
      skipped.remove({ site, cron });
      duration.remove({ site, cron });
      lastSuccess.remove({ site, cron });
      for (const result of ["success", "failure", "timeout", "error"]) runs.remove({ site, cron, result });
    },
  };
}
