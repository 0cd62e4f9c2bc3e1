import { createTrigger } from "../../../controller/daemon/single-flight";

/** A run the test finishes by hand: deterministic, no timers. */
function controllableRuns() {
  const calls: string[] = [];
  const finishers: Array<(err?: Error) => void> = [];
  let active = 0;
  let maxActive = 0;
  const run = (reason: string): Promise<void> => {
    calls.push(reason);
    active++;
    maxActive = Math.max(maxActive, active);
    return new Promise<void>((resolve, reject) => {
      finishers.push((err) => {
        active--;
        if (err) reject(err);
        else resolve();
      });
    });
  };
  const finishNext = async (err?: Error): Promise<void> => {
    const f = finishers.shift();
    if (!f) throw new Error("no run in flight");
    f(err);
    // let the trigger's continuation start the follow-up run
    await new Promise((r) => setImmediate(r));
  };
  return { run, calls, finishNext, maxActive: () => maxActive };
}

const noErrors = { onError: (e: unknown) => { throw e; } };

describe("createTrigger", () => {
  it("runs at once when idle", async () => {
    const r = controllableRuns();
    const t = createTrigger(r.run, noErrors);
    expect(t.trigger("poll")).toBe(true);
    expect(r.calls).toEqual(["poll"]);
    expect(t.running).toBe(true);
    await r.finishNext();
    await t.idle();
    expect(t.running).toBe(false);
  });

  it("coalesces a burst during a run into exactly one more run with every distinct reason", async () => {
    const r = controllableRuns();
    const t = createTrigger(r.run, noErrors);
    t.trigger("poll");
    t.trigger("webhook");
    t.trigger("webhook");
    t.trigger("file");
    t.trigger("webhook");
    expect(r.calls).toEqual(["poll"]);
    await r.finishNext();
    expect(r.calls).toEqual(["poll", "webhook, file"]);
    await r.finishNext();
    await t.idle();
    expect(r.calls).toHaveLength(2);
    expect(r.maxActive()).toBe(1);
  });

  it("idle() waits for the follow-up run too", async () => {
    const r = controllableRuns();
    const t = createTrigger(r.run, noErrors);
    t.trigger("a");
    t.trigger("b");
    let idle = false;
    void t.idle().then(() => (idle = true));
    await r.finishNext();
    expect(idle).toBe(false);
    await r.finishNext();
    await Promise.resolve();
    expect(idle).toBe(true);
  });

  it("reports a failed run and keeps serving triggers", async () => {
    const r = controllableRuns();
    const errors: Array<[string, string]> = [];
    const t = createTrigger(r.run, { onError: (e, reason) => errors.push([(e as Error).message, reason]) });
    t.trigger("poll");
    t.trigger("webhook");
    await r.finishNext(new Error("engine down"));
    expect(errors).toEqual([["engine down", "poll"]]);
    expect(r.calls).toEqual(["poll", "webhook"]);
    await r.finishNext();
    await t.idle();
    t.trigger("later");
    expect(r.calls).toEqual(["poll", "webhook", "later"]);
    await r.finishNext();
  });

  it("survives an error reporter that throws", async () => {
    const r = controllableRuns();
    const t = createTrigger(r.run, { onError: () => { throw new Error("logger broke"); } });
    t.trigger("a");
    await r.finishNext(new Error("boom"));
    await t.idle();
    expect(t.trigger("b")).toBe(true);
    expect(r.calls).toEqual(["a", "b"]);
    await r.finishNext();
  });

  it("stop() waits for the run in flight, drops the pending one and refuses new triggers", async () => {
    const r = controllableRuns();
    const t = createTrigger(r.run, noErrors);
    t.trigger("poll");
    t.trigger("webhook");
    let stopped = false;
    const stopping = t.stop().then(() => (stopped = true));
    expect(t.trigger("late")).toBe(false);
    await Promise.resolve();
    expect(stopped).toBe(false);
    await r.finishNext();
    await stopping;
    expect(stopped).toBe(true);
    expect(r.calls).toEqual(["poll"]);
    expect(t.running).toBe(false);
  });

  it("stop() on an idle trigger resolves at once", async () => {
    const t = createTrigger(() => Promise.resolve(), noErrors);
    await t.stop();
    expect(t.trigger("x")).toBe(false);
  });
});

describe("createTrigger with concurrent runs", () => {
  /** Runs the test settles and finishes by hand, by reason. */
  function runs() {
    const started: { reason: string; concurrent: boolean }[] = [];
    const handles = new Map<string, { settled: () => void; finish: () => void }>();
    const run = (reason: string, ctx: { concurrent: boolean; settled: () => void }): Promise<void> => {
      started.push({ reason, concurrent: ctx.concurrent });
      return new Promise<void>((resolve) => handles.set(reason, { settled: ctx.settled, finish: resolve }));
    };
    const tick = () => new Promise((r) => setImmediate(r));
    return {
      run,
      started,
      settle: async (reason: string) => {
        handles.get(reason)?.settled();
        await tick();
      },
      finish: async (reason: string) => {
        handles.get(reason)?.finish();
        await tick();
        await tick();
      },
    };
  }
  const opts = { ...noErrors, concurrent: (reason: string) => reason !== "tasks" };

  it("starts a run beside the one in flight, and still runs the follow-up once both are done", async () => {
    const r = runs();
    const t = createTrigger(r.run, opts);
    t.trigger("start");
    t.trigger("webhook:github");
    expect(r.started).toEqual([
      { reason: "start", concurrent: false },
      { reason: "webhook:github", concurrent: true },
    ]);
    await r.finish("webhook:github");
    // The first run is still rolling out: no follow-up yet.
    expect(r.started).toHaveLength(2);
    await r.finish("start");
    expect(r.started[2]).toEqual({ reason: "webhook:github", concurrent: false });
    await r.finish("webhook:github");
    await t.idle();
    expect(r.started).toHaveLength(3);
  });

  it("routing-only reasons wait for the follow-up, as before", async () => {
    const r = runs();
    const t = createTrigger(r.run, opts);
    t.trigger("start");
    t.trigger("tasks");
    expect(r.started).toHaveLength(1);
    await r.finish("start");
    expect(r.started[1]).toEqual({ reason: "tasks", concurrent: false });
  });

  it("a trigger while a concurrent run is still deciding waits for that decision, then starts the next one", async () => {
    const r = runs();
    const t = createTrigger(r.run, opts);
    t.trigger("start");
    t.trigger("webhook:a");
    t.trigger("webhook:b");
    t.trigger("webhook:c");
    expect(r.started.map((s) => s.reason)).toEqual(["start", "webhook:a"]);
    await r.settle("webhook:a");
    expect(r.started[2]).toEqual({ reason: "webhook:b, webhook:c", concurrent: true });
    // Three runs in flight; the follow-up covers every reason once all are done.
    await r.finish("webhook:a");
    await r.finish("webhook:b, webhook:c");
    expect(r.started).toHaveLength(3);
    await r.finish("start");
    expect(r.started[3]).toEqual({ reason: "webhook:a, webhook:b, webhook:c", concurrent: false });
  });

  it("reasons left waiting when every other run has ended go to the follow-up, not to another concurrent run", async () => {
    const r = runs();
    const t = createTrigger(r.run, opts);
    t.trigger("start");
    t.trigger("webhook:a");
    t.trigger("webhook:b");
    await r.finish("start");
    // webhook:a never settled before finishing: its end settles it, and no run is left beside it.
    await r.finish("webhook:a");
    expect(r.started.slice(2)).toEqual([{ reason: "webhook:a, webhook:b", concurrent: false }]);
  });

  it("pushes that keep overlapping never postpone the follow-up: runs start beside a full run only, never beside concurrent ones alone", async () => {
    const r = runs();
    const t = createTrigger(r.run, opts);
    t.trigger("start");
    t.trigger("webhook:1");
    await r.settle("webhook:1");
    await r.finish("start");
    // Only webhook:1 (concurrent) still rolls out: a push now waits for the follow-up.
    t.trigger("webhook:2");
    expect(r.started.map((s) => s.reason)).toEqual(["start", "webhook:1"]);
    await r.finish("webhook:1");
    expect(r.started[2]).toEqual({ reason: "webhook:1, webhook:2", concurrent: false });
    // Beside that full run, a push starts at once again.
    t.trigger("webhook:3");
    expect(r.started[3]).toEqual({ reason: "webhook:3", concurrent: true });
    await r.settle("webhook:3");
    await r.finish("webhook:1, webhook:2");
    await r.finish("webhook:3");
    expect(r.started[4]).toEqual({ reason: "webhook:3", concurrent: false });
    await r.finish("webhook:3");
    await t.idle();
  });

  it("a concurrent run deciding when the full run ends starts no next one beside the remaining concurrent runs", async () => {
    const r = runs();
    const t = createTrigger(r.run, opts);
    t.trigger("start");
    t.trigger("webhook:0");
    await r.settle("webhook:0");
    t.trigger("webhook:1");
    t.trigger("webhook:2");
    expect(r.started.map((s) => s.reason)).toEqual(["start", "webhook:0", "webhook:1"]);
    await r.finish("start");
    await r.settle("webhook:1");
    expect(r.started).toHaveLength(3);
    await r.finish("webhook:0");
    await r.finish("webhook:1");
    expect(r.started[3]).toEqual({ reason: "webhook:0, webhook:1, webhook:2", concurrent: false });
  });

  it("stop() waits for every run in flight and starts nothing after", async () => {
    const r = runs();
    const t = createTrigger(r.run, opts);
    t.trigger("start");
    t.trigger("webhook:a");
    let stopped = false;
    const s = t.stop().then(() => (stopped = true));
    expect(t.trigger("webhook:b")).toBe(false);
    await r.finish("start");
    expect(stopped).toBe(false);
    await r.finish("webhook:a");
    await s;
    expect(r.started).toHaveLength(2);
  });
});
