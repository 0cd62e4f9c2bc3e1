import { schedule, ScheduledTask } from "node-cron";
import type { Logger } from "../log";
import type { CronMetrics } from "./cron-metrics";
import { CronEntry, CronResult, CronRun, diffSchedules, entryFingerprint, entryKey, pushHistory, tailLines, tickDecision } from "./cron-plan";
import { JobError, JobResult, JobTimeoutError } from "./run-job";

/** Runs one entry as a job to its end; throws JobError when it could not start or timed out. */
export type CronJobRunner = (entry: CronEntry) => Promise<JobResult>;

export interface CronEntryStatus {
  readonly name: string;
  readonly schedule: string;
  readonly command: readonly string[];
  readonly running: number;
  readonly skipped: number;
  /** Newest first. */
  readonly runs: readonly CronRun[];
}

export interface CronScheduler {
  /** Starts, stops and replaces tasks so exactly these entries are scheduled. */
  replan(entries: readonly CronEntry[], timeZone: string): void;
  /** Per entry of a site, for /status. */
  siteStatus(site: string): CronEntryStatus[];
  /** Stops every task and waits for the runs in flight. */
  stop(): Promise<void>;
}

interface Slot {
  entry: CronEntry;
  fingerprint: string;
  task: ScheduledTask;
}

interface EntryRecord {
  running: number;
  skipped: number;
  runs: CronRun[];
}

/** Runs an entry now and says how it went; never throws. */
export async function runCronEntry(run: CronJobRunner, entry: CronEntry, now: () => number = Date.now): Promise<CronRun> {
  const started = now();
  let result: CronResult;
  let exitCode: number | null = null;
  let output: string;
  try {
    const r = await run(entry);
    exitCode = r.exitCode;
    result = r.exitCode === 0 ? "success" : "failure";
    output = tailLines(r.output);
  } catch (err) {
    result = err instanceof JobTimeoutError ? "timeout" : "error";
    output = err instanceof JobError ? err.message : `job failed: ${err instanceof Error ? err.message : String(err)}`;
  }
  return { startedAt: new Date(started).toISOString(), durationSeconds: (now() - started) / 1000, result, exitCode, output };
}

/**
 * The daemon's cron: one node-cron task per entry, each tick a Swarm job. Overlap is
 * decided here, not by node-cron, so a skipped tick is seen, counted and shown.
 */
/** What holds a site's web service now (a restore, a move), if anything: its crons wait. */
export type CronHoldCheck = (entry: CronEntry) => Promise<string | undefined>;

export function createCronScheduler(opts: { readonly run: CronJobRunner; readonly log: Logger; readonly metrics?: CronMetrics; readonly held?: CronHoldCheck }): CronScheduler {
  const slots = new Map<string, Slot>();
  const records = new Map<string, EntryRecord>();
  const inFlight = new Set<Promise<void>>();
  let stopped = false;
  // node-cron's own messages (missed ticks under load) go to our log, not to the console.
  const cronLogger = {
    info: (m: string) => opts.log.debug({ component: "node-cron" }, m),
    warn: (m: string) => opts.log.warn({ component: "node-cron" }, m),
    error: (m: string | Error) => opts.log.error({ component: "node-cron" }, String(m)),
    debug: (m: string | Error) => opts.log.debug({ component: "node-cron" }, String(m)),
  };

  const record = (key: string): EntryRecord => {
    let r = records.get(key);
    if (!r) records.set(key, (r = { running: 0, skipped: 0, runs: [] }));
    return r;
  };

  const tick = (key: string): void => {
    const slot = slots.get(key);
    if (!slot || stopped) return;
    const { entry } = slot;
    const r = record(key);
    if (tickDecision(entry, r.running) === "skip") {
      r.skipped++;
      opts.metrics?.recordSkip(entry.site, entry.name);
      opts.log.warn({ site: entry.site, cron: entry.name }, "cron run skipped: the previous run is still going");
      return;
    }
    r.running++;
    const p = (async () => {
      // A site under a maintenance hold has its data being replaced or copied (restore, move):
      // a cron writing meanwhile would be lost or would race the copy's verification.
      const hold = await opts.held?.(entry).catch(() => undefined);
      if (hold !== undefined) {
        r.running--;
        r.skipped++;
        opts.metrics?.recordSkip(entry.site, entry.name);
        opts.log.warn({ site: entry.site, cron: entry.name, hold }, "cron run skipped: the site is held");
        return;
      }
      const run = await runCronEntry(opts.run, entry);
      r.running--;
      r.runs = pushHistory(r.runs, run);
      // A run that outlived its entry (removed meanwhile) must not bring its series back.
      if (records.get(key) === r) opts.metrics?.recordRun(entry.site, entry.name, run.result, run.durationSeconds, Date.now());
      const fields = { site: entry.site, cron: entry.name, result: run.result, exitCode: run.exitCode, durationSeconds: run.durationSeconds };
      if (run.result === "success") opts.log.info(fields, "cron run finished");
      else opts.log.warn({ ...fields, output: run.output }, "cron run failed");
    })();
    inFlight.add(p);
    void p.finally(() => inFlight.delete(p));
  };

  return {
    replan(entries, timeZone) {
      if (stopped) return;
      const current = new Map([...slots].map(([k, s]) => [k, s.fingerprint]));
      const changes = diffSchedules(current, entries, timeZone);
      const kept = new Set(entries.map(entryKey));
      for (const key of changes.stop) {
        const slot = slots.get(key);
        if (!slot) continue;
        void slot.task.destroy();
        slots.delete(key);
        // A changed entry keeps its history and series; a removed one takes them along.
        if (!kept.has(key)) {
          records.delete(key);
          opts.metrics?.forget(slot.entry.site, slot.entry.name);
        }
      }
      for (const entry of changes.start) {
        const key = entryKey(entry);
        // The tick returns at once: the job runs on, and node-cron never sees a busy task.
        const task = schedule(entry.schedule, () => tick(key), { timezone: timeZone, name: key, logger: cronLogger });
        slots.set(key, { entry, fingerprint: entryFingerprint(entry, timeZone), task });
      }
      if (changes.stop.length + changes.start.length > 0) {
        opts.log.info({ scheduled: slots.size, started: changes.start.map(entryKey), stopped: changes.stop }, "cron schedule replanned");
      }
    },
    siteStatus(site) {
      return [...slots.values()]
        .filter((s) => s.entry.site === site)
        .map(({ entry }) => {
          const r = records.get(entryKey(entry));
          return { name: entry.name, schedule: entry.schedule, command: entry.command, running: r?.running ?? 0, skipped: r?.skipped ?? 0, runs: r?.runs ?? [] };
        });
    },
    async stop() {
      stopped = true;
      await Promise.all([...slots.values()].map((s) => s.task.destroy()));
      slots.clear();
      await Promise.allSettled([...inFlight]);
    },
  };
}
