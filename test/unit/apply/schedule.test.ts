import { runLanes, slotsOf } from "../../../controller/apply/schedule";
import { inSyncOrder, SyncPhase } from "../../../controller/plan/sync";

interface Item {
  readonly phase: SyncPhase;
  readonly wave: number;
  readonly site: string | null;
  readonly name: string;
}

const item = (site: string | null, name: string, phase: SyncPhase, wave: number): Item => ({ site, name, phase, wave });

/** A promise resolved by hand, so a test decides when each call ends. */
function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve = (): void => undefined;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

const tick = (): Promise<void> => new Promise((r) => setImmediate(r));

describe("apply schedule: slotsOf", () => {
  it("groups the sync order into slots, each with one lane per site, keeping each site's order", () => {
    const ordered = inSyncOrder([
      item("b", "b_web", "Sync", 1),
      item("a", "a_net", "PreSync", 0),
      item(null, "edge", "PreSync", 0),
      item("a", "a_secret", "PreSync", 0),
      item("b", "b_db", "Sync", 0),
      item("a", "a_web", "Sync", 1),
      item("a", "a_db", "Sync", 0),
      item(null, "varnish", "Sync", 2),
    ]);
    const slots = slotsOf(ordered);
    expect(slots.map((s) => `${s.slot.phase}/${s.slot.wave}`)).toEqual(["PreSync/0", "Sync/0", "Sync/1", "Sync/2"]);
    expect(slots.map((s) => s.lanes.map((l) => l.map((a) => a.name)))).toEqual([
      [["edge"], ["a_net", "a_secret"]],
      [["a_db"], ["b_db"]],
      [["a_web"], ["b_web"]],
      [["varnish"]],
    ]);
  });

  it("refuses actions out of sync order: the slots would run in the wrong order", () => {
    expect(() => slotsOf([item("a", "a_web", "Sync", 1), item("a", "a_net", "PreSync", 0)])).toThrow(/not in sync order/);
  });

  it("is empty for no actions", () => {
    expect(slotsOf([])).toEqual([]);
  });
});

describe("apply schedule: runLanes", () => {
  it("runs at most `limit` items at once, over all lanes", async () => {
    const lanes = Array.from({ length: 10 }, (_, i) => [`s${i}-1`, `s${i}-2`]);
    let running = 0;
    let most = 0;
    const done: string[] = [];
    await runLanes(lanes, 3, async (name) => {
      running++;
      most = Math.max(most, running);
      await tick();
      running--;
      done.push(name);
    });
    expect(most).toBe(3);
    expect(done).toHaveLength(20);
  });

  it("runs different lanes side by side (a slow site does not hold the others)", async () => {
    const slow = deferred();
    const started: string[] = [];
    const run = runLanes([["slow-1", "slow-2"], ["fast-1", "fast-2"], ["other-1"]], 2, async (name) => {
      started.push(name);
      if (name === "slow-1") await slow.promise;
    });
    for (let i = 0; i < 5; i++) await tick();
    // The slow site's first action is still going: the other lanes went on meanwhile, its own second did not.
    expect(started).toEqual(["slow-1", "fast-1", "fast-2", "other-1"]);
    slow.resolve();
    await run;
    expect(started).toEqual(["slow-1", "fast-1", "fast-2", "other-1", "slow-2"]);
  });

  it("keeps a lane's items in order, one at a time, with a limit above the number of lanes", async () => {
    const log: string[] = [];
    await runLanes([["a1", "a2", "a3"], ["b1", "b2"]], 8, async (name) => {
      log.push(`start ${name}`);
      await tick();
      log.push(`end ${name}`);
    });
    const a = log.filter((l) => l.endsWith("a1") || l.endsWith("a2") || l.endsWith("a3"));
    expect(a).toEqual(["start a1", "end a1", "start a2", "end a2", "start a3", "end a3"]);
    const b = log.filter((l) => l.endsWith("b1") || l.endsWith("b2"));
    expect(b).toEqual(["start b1", "end b1", "start b2", "end b2"]);
  });

  it("with limit 1, runs in the plan's order, as a plain loop would", async () => {
    const order: string[] = [];
    await runLanes([["a1", "a2"], ["b1"], ["c1", "c2"]], 1, async (name) => {
      await tick();
      order.push(name);
    });
    expect(order).toEqual(["a1", "a2", "b1", "c1", "c2"]);
  });

  it("resolves only once every item has finished", async () => {
    const gate = deferred();
    let finished = false;
    const run = runLanes([["a"], ["b"]], 2, async (name) => {
      if (name === "b") await gate.promise;
    }).then(() => (finished = true));
    for (let i = 0; i < 5; i++) await tick();
    expect(finished).toBe(false);
    gate.resolve();
    await run;
    expect(finished).toBe(true);
  });

  it("after a throw, starts nothing more and rejects once the items in flight settled", async () => {
    const gate = deferred();
    const started: string[] = [];
    let inFlightDone = false;
    const run = runLanes([["bad", "after-bad"], ["slow", "after-slow"], ["later"]], 2, async (name) => {
      started.push(name);
      if (name === "bad") throw new Error("internal bug");
      if (name === "slow") {
        await gate.promise;
        inFlightDone = true;
      }
    });
    const outcome = run.then(
      () => "resolved",
      (err: unknown) => (err instanceof Error ? err.message : String(err)),
    );
    for (let i = 0; i < 5; i++) await tick();
    gate.resolve();
    expect(await outcome).toBe("internal bug");
    expect(inFlightDone).toBe(true);
    expect(started).toEqual(["bad", "slow"]);
  });

  it("refuses a limit that is not a positive integer", async () => {
    await expect(runLanes([["a"]], 0, async () => undefined)).rejects.toThrow(/positive integer/);
  });
});
