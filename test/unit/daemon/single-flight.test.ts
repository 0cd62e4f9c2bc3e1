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
