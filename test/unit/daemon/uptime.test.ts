import { decide, EMPTY_DEDUPE, NotificationEvent } from "../../../controller/daemon/notify-events";
import { jobStep, JobWatch, probeOk, ProbeResult, UNKNOWN, UptimeState, uptimeStep, UptimeTransition } from "../../../controller/daemon/uptime";

const fail = (at: string, detail = "HTTP 503"): ProbeResult => ({ ok: false, at, detail });
const ok = (at: string): ProbeResult => ({ ok: true, at, detail: "ok" });

/** Feeds a sequence of probes, collecting the transitions. */
function run(probes: readonly ProbeResult[], threshold: number, start: UptimeState = UNKNOWN): (UptimeTransition | null)[] {
  let state = start;
  return probes.map((p) => {
    const step = uptimeStep(state, p, threshold);
    state = step.state;
    return step.transition;
  });
}

describe("uptime transitions", () => {
  it("reports down once, after N consecutive failures, and recovered once, on the first success", () => {
    const t = run([ok("t0"), fail("t1"), fail("t2"), fail("t3", "no answer within 10 s"), fail("t4"), fail("t5"), ok("t6"), ok("t7")], 3);
    expect(t).toEqual([null, null, null, { kind: "down", detail: "no answer within 10 s", failures: 3 }, null, null, { kind: "recovered", downSince: "t3" }, null]);
  });

  it("a failure streak shorter than N is not an outage: the count restarts after a success", () => {
    expect(run([fail("t1"), fail("t2"), ok("t3"), fail("t4"), fail("t5"), ok("t6")], 3).every((x) => x === null)).toBe(true);
  });

  it("a site that starts down is reported down; one that starts up is not reported recovered", () => {
    expect(run([fail("t1")], 1)).toEqual([{ kind: "down", detail: "HTTP 503", failures: 1 }]);
    expect(run([ok("t1")], 1)).toEqual([null]);
  });

  it("a second outage is a second transition", () => {
    const kinds = run([fail("a"), ok("b"), fail("c"), ok("d")], 1).map((x) => x?.kind ?? null);
    expect(kinds).toEqual(["down", "recovered", "down", "recovered"]);
  });

  it("counts an answer below 500 as up, 5xx and no answer as down", () => {
    expect([200, 301, 403, 404, 499].every(probeOk)).toBe(true);
    expect([500, 503, 0].some(probeOk)).toBe(false);
    expect(probeOk(null)).toBe(false);
  });
});

describe("cron and backup transitions", () => {
  const steps = (runs: { startedAt: string; result: string }[]): (string | null)[] => {
    let w: JobWatch | undefined;
    return runs.map((r) => {
      const s = jobStep(w, { ...r, output: "line 1\nerror: table missing\n" });
      w = s.watch;
      return s.transition?.kind ?? null;
    });
  };

  it("notifies the first failure of a streak and the first success after it, nothing per repeat", () => {
    expect(steps([
      { startedAt: "1", result: "ok" },
      { startedAt: "2", result: "failed" },
      { startedAt: "3", result: "timeout" },
      { startedAt: "4", result: "skipped" },
      { startedAt: "5", result: "ok" },
      { startedAt: "6", result: "ok" },
    ])).toEqual([null, "failed", null, null, "recovered", null]);
  });

  it("the same newest run seen twice (the watcher runs more often than the job) counts once", () => {
    const first = jobStep(undefined, { startedAt: "1", result: "failed", output: "boom" });
    expect(first.transition).toEqual({ kind: "failed", message: "boom" });
    expect(jobStep(first.watch, { startedAt: "1", result: "failed", output: "boom" }).transition).toBeNull();
    expect(jobStep(first.watch, undefined).transition).toBeNull();
  });
});

describe("uptime and job notifications are deduplicated by their own subject", () => {
  it("a down, repeated, is sent once; the site's reconcile failure is not suppressed by it", () => {
    const down: NotificationEvent = { type: "uptime.down", site: "a", url: "http://a.test/", message: "HTTP 503", failures: 3 };
    let s = EMPTY_DEDUPE;
    const send = (e: NotificationEvent, at = 0): boolean => {
      const d = decide(s, e, at, 1000);
      s = d.state;
      return d.send;
    };
    expect(send(down)).toBe(true);
    expect(send(down, 10_000)).toBe(false);
    expect(send({ type: "site.failed", site: "a", commit: "c", message: "m" })).toBe(true);
    expect(send({ type: "uptime.recovered", site: "a", url: "http://a.test/", downSince: null })).toBe(true);
    expect(send({ type: "job.failed", site: "a", job: "cron:drupal", message: "x" })).toBe(true);
    expect(send({ type: "job.failed", site: "a", job: "backup", message: "x" })).toBe(true);
    expect(send({ type: "job.failed", site: "a", job: "cron:drupal", message: "x" }, 10_000)).toBe(false);
  });
});
