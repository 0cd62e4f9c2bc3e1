import pino from "pino";
import { Registry } from "prom-client";
import { createCronScheduler, CronJobRunner, runCronEntry } from "../../../controller/jobs/cron";
import { createCronMetrics } from "../../../controller/jobs/cron-metrics";
import type { CronEntry } from "../../../controller/jobs/cron-plan";
import { JobError, JobTimeoutError } from "../../../controller/jobs/run-job";

const log = pino({ level: "silent" });
const entry = (over: Partial<CronEntry> = {}): CronEntry => ({ site: "acme", name: "tick", schedule: "* * * * * *", command: ["true"], timeout: 60, allowOverlap: false, ...over });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe("runCronEntry", () => {
  it("records exit code and the tail of the output", async () => {
    const run = await runCronEntry(async () => ({ exitCode: 7, output: "a\nb\n" }), entry());
    expect(run).toMatchObject({ result: "failure", exitCode: 7, output: "a\nb" });
  });

  it("tells a timeout from a job that could not start", async () => {
    expect(await runCronEntry(() => Promise.reject(new JobTimeoutError("job did not finish within 1 s")), entry())).toMatchObject({ result: "timeout", exitCode: null });
    expect(await runCronEntry(() => Promise.reject(new JobError("network x does not exist")), entry())).toMatchObject({
      result: "error",
      exitCode: null,
      output: "network x does not exist",
    });
  });
});

describe("cron scheduler (node-cron, second-level schedules)", () => {
  jest.setTimeout(20_000);

  it("runs every tick, skips and counts ticks while a run is still going, and stops removed entries", async () => {
    const registry = new Registry();
    const calls: string[] = [];
    const run: CronJobRunner = async (e) => {
      calls.push(e.name);
      if (e.name === "slow") await sleep(2500);
      return { exitCode: 0, output: `${e.name} ok\n` };
    };
    const scheduler = createCronScheduler({ run, log, metrics: createCronMetrics(registry) });
    try {
      scheduler.replan([entry({ name: "fast" }), entry({ name: "slow" })], "UTC");
      await sleep(3600);
      const status = new Map(scheduler.siteStatus("acme").map((s) => [s.name, s]));
      expect(status.get("fast")?.runs.length).toBeGreaterThanOrEqual(2);
      expect(status.get("fast")?.skipped).toBe(0);
      expect(status.get("slow")?.skipped).toBeGreaterThanOrEqual(1);
      expect(calls.filter((c) => c === "slow").length).toBeLessThanOrEqual(2);
      const metrics = await registry.metrics();
      expect(metrics).toMatch(/simulium_cron_runs_total\{site="acme",cron="fast",result="success"\} [1-9]/);
      expect(metrics).toMatch(/simulium_cron_skipped_total\{site="acme",cron="slow"\} [1-9]/);
      expect(metrics).toMatch(/simulium_cron_last_success_timestamp_seconds\{site="acme",cron="fast"\} \d/);

      scheduler.replan([entry({ name: "slow" })], "UTC");
      expect(scheduler.siteStatus("acme").map((s) => s.name)).toEqual(["slow"]);
      const before = calls.filter((c) => c === "fast").length;
      await sleep(1500);
      expect(calls.filter((c) => c === "fast").length).toBe(before);
      expect(await registry.metrics()).not.toContain('cron="fast"');
    } finally {
      await scheduler.stop();
    }
  });

  it("skips and counts the ticks of a site under a maintenance hold, and runs again once it ends", async () => {
    const registry = new Registry();
    const calls: string[] = [];
    let hold: string | undefined = "move to node3";
    const scheduler = createCronScheduler({
      run: async (e) => {
        calls.push(e.name);
        return { exitCode: 0, output: "" };
      },
      held: async () => hold,
      log,
      metrics: createCronMetrics(registry),
    });
    try {
      scheduler.replan([entry({ name: "drupal" })], "UTC");
      await sleep(2200);
      expect(calls).toEqual([]);
      const [status] = scheduler.siteStatus("acme");
      expect(status?.skipped).toBeGreaterThanOrEqual(1);
      expect(status?.runs).toEqual([]);
      expect(await registry.metrics()).toMatch(/simulium_cron_skipped_total\{site="acme",cron="drupal"\} [1-9]/);
      hold = undefined;
      await sleep(1500);
      expect(calls.length).toBeGreaterThanOrEqual(1);
    } finally {
      await scheduler.stop();
    }
  });

  it("starts overlapping runs when the entry allows it", async () => {
    let started = 0;
    const scheduler = createCronScheduler({
      run: async () => {
        started++;
        await sleep(2500);
        return { exitCode: 0, output: "" };
      },
      log,
    });
    try {
      scheduler.replan([entry({ allowOverlap: true })], "UTC");
      await sleep(2600);
      expect(started).toBeGreaterThanOrEqual(2);
      expect(scheduler.siteStatus("acme")[0]?.skipped).toBe(0);
    } finally {
      await scheduler.stop();
    }
  });
});
