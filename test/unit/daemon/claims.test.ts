import { createClaims, decide } from "../../../controller/daemon/claims";
import { createTrigger } from "../../../controller/daemon/single-flight";
import type { Action, Plan } from "../../../controller/plan/types";

function update(site: string | null, name: string): Action {
  return { op: "update", kind: "service", site, name, changes: [], phase: "Sync", wave: 1, id: name, version: 1, drift: false, held: false, deploy: true, owesPostDeploy: false, spec: {} as never } as Action;
}
function remove(site: string, name: string): Action {
  return { op: "delete", kind: "service", site, name, changes: [], phase: "Sync", wave: 1, id: name, reason: "site-removed" } as Action;
}
function retain(site: string, name: string): Action {
  return { op: "retain", kind: "volume", site, name, changes: [], phase: "Sync", wave: 0, id: name, reason: "site-removed" } as Action;
}
function plan(...actions: Action[]): Plan {
  const sites = [...new Set(actions.flatMap((a) => (a.site ? [a.site] : [])))].map((site) => ({ site, state: "changed" as const }));
  return { instance: "i", actions, sites, warnings: [], errors: [] };
}
const admitted = (id: number, sites: string[], shared = false) => ({ id, state: "admitted" as const, sites: new Set(sites), shared });

describe("decide", () => {
  it("a concurrent run takes the sites it changes that no run in flight has, and leaves those out", () => {
    const d = decide({ id: 2, partial: true }, plan(update("a", "a_web"), update("b", "b_web")), [admitted(1, ["a"])]);
    expect(d).toEqual({ kind: "admit", sites: new Set(["b"]), shared: false, except: ["a"] });
  });

  it("a concurrent run whose plan changes a shared object does nothing now", () => {
    const d = decide({ id: 2, partial: true }, plan(update("b", "b_web"), update(null, "varnish")), [admitted(1, ["a"])]);
    expect(d.kind).toBe("defer");
  });

  it("nothing runs beside a run that changes shared objects", () => {
    expect(decide({ id: 2, partial: true }, plan(update("b", "b_web")), [admitted(1, [], true)]).kind).toBe("defer");
  });

  it("a concurrent run that changes only in-flight sites, or nothing, defers; retained objects are no change", () => {
    expect(decide({ id: 2, partial: true }, plan(update("a", "a_web")), [admitted(1, ["a"])]).kind).toBe("defer");
    expect(decide({ id: 2, partial: true }, plan(retain("b", "b_data")), [admitted(1, ["a"])]).kind).toBe("defer");
  });

  it("a concurrent run defers a site that gains a domain, a published port or a service: a site in flight may still hold it", () => {
    const gains = (field: string): Action => ({ ...update("y", "y_web"), changes: [{ field, op: "+" }] }) as Action;
    const created = { op: "create", kind: "service", site: "z", name: "z_web", changes: [], phase: "Sync", wave: 1, spec: {} } as unknown as Action;
    // x keeps shop.org while it rolls out from the older commit; y (or a new z) takes it now.
    for (const p of [plan(gains("domains[shop.org]")), plan(gains("ports[2222/tcp]")), plan(created)]) {
      const d = decide({ id: 2, partial: true }, p, [admitted(1, ["x"])]);
      expect(d.kind).toBe("defer");
      expect(d.kind === "defer" ? d.why : "").toMatch(/gains a domain, port or service/);
    }
    // A domain dropped, or any other change, goes side by side as before.
    const other = decide({ id: 2, partial: true }, plan({ ...update("y", "y_web"), changes: [{ field: "domains[old.org]", op: "-" }, { field: "image", op: "~" }] } as Action), [admitted(1, ["x"])]);
    expect(other.kind).toBe("admit");
    // The full run that follows takes it.
    expect(decide({ id: 3, partial: false }, plan(gains("domains[shop.org]")), []).kind).toBe("admit");
  });

  it("waits for an earlier run that is still planning, never for a later one", () => {
    const planning = (id: number) => ({ id, state: "planning" as const, sites: new Set<string>(), shared: false });
    expect(decide({ id: 2, partial: true }, plan(update("b", "b_web")), [planning(1)])).toEqual({ kind: "wait", on: 1 });
    expect(decide({ id: 1, partial: false }, plan(update("a", "a_web"), update(null, "varnish")), [planning(2)])).toEqual({ kind: "admit", sites: new Set(["a"]), shared: true, except: [] });
  });

  it("a full run changes shared objects only alone: beside a concurrent run it waits", () => {
    expect(decide({ id: 1, partial: false }, plan(update(null, "varnish")), [admitted(2, ["b"])])).toEqual({ kind: "wait", on: 2 });
    expect(decide({ id: 1, partial: false }, plan(update("a", "a_web"), update("b", "b_web")), [admitted(2, ["b"])])).toEqual({ kind: "admit", sites: new Set(["a"]), shared: false, except: ["b"] });
  });
});

describe("createClaims", () => {
  it("a concurrent run waits for the earlier run's plan, then plans again and leaves its sites out", async () => {
    const claims = createClaims();
    const a = claims.open(false);
    const b = claims.open(true);
    let bAdmission: unknown;
    const waiting = b.admit(plan(update("a", "a_web"), update("b", "b_web"))).then((x) => (bAdmission = x));
    await new Promise((r) => setImmediate(r));
    expect(bAdmission).toBeUndefined();
    expect(await a.admit(plan(update("a", "a_web")))).toEqual({ kind: "all" });
    await waiting;
    expect(bAdmission).toEqual({ kind: "replan" });
    expect(await b.admit(plan(update("a", "a_web"), update("b", "b_web")))).toEqual({ kind: "except", sites: ["a"] });
    expect([...b.sites()]).toEqual(["b"]);
    expect(b.lockedSteps).toBe(false);
    expect(a.lockedSteps).toBe(true);
    b.done();
    expect([...b.sites()]).toEqual([]);
  });

  it("a run that fails while planning frees the runs waiting on it", async () => {
    const claims = createClaims();
    const a = claims.open(false);
    const b = claims.open(true);
    const waiting = b.admit(plan(update("b", "b_web")));
    a.close();
    expect(await waiting).toEqual({ kind: "replan" });
    expect(await b.admit(plan(update("b", "b_web")))).toEqual({ kind: "all" });
  });
});

describe("a plan made before another run ended", () => {
  it("is made again before it is applied: the run that ended changed the swarm it was made from", async () => {
    const claims = createClaims();
    const a = claims.open(false);
    a.planning();
    expect(await a.admit(plan(update("a", "a_web")))).toEqual({ kind: "all" });
    // B plans while A still rolls out site a: its plan still shows a's update (and its postDeploy hook).
    const b = claims.open(true);
    b.planning();
    a.done();
    a.close();
    // A ended between B's plan and its admission: applying that plan would update a again.
    expect(await b.admit(plan(update("a", "a_web"), update("b", "b_web")))).toEqual({ kind: "replan" });
    b.planning();
    expect(await b.admit(plan(update("b", "b_web")))).toEqual({ kind: "all" });
  });

  it("a run that ended without changing anything (deferred, or failed while planning) does not make others plan again", async () => {
    const claims = createClaims();
    const a = claims.open(false);
    a.planning();
    expect(await a.admit(plan(update("a", "a_web")))).toEqual({ kind: "all" });
    const b = claims.open(true);
    b.planning();
    expect((await b.admit(plan(update("a", "a_web")))).kind).toBe("defer");
    b.close();
    const c = claims.open(true);
    c.planning();
    const d = claims.open(true);
    d.close();
    expect(await c.admit(plan(update("c", "c_web")))).toEqual({ kind: "except", sites: ["a"] });
  });
});

describe("a site a later run changed", () => {
  it("is left out of an older run's plan (decide), full or concurrent", () => {
    const written = new Map([["x", 2]]);
    expect(decide({ id: 1, partial: false }, plan(update("a", "a_web"), remove("x", "x_web")), [], written)).toEqual({ kind: "admit", sites: new Set(["a"]), shared: false, except: ["x"] });
    expect(decide({ id: 1, partial: true }, plan(remove("x", "x_web")), [], written).kind).toBe("defer");
    // The run that wrote it, and any later one, may change it again.
    expect(decide({ id: 2, partial: false }, plan(remove("x", "x_web")), [], written)).toEqual({ kind: "admit", sites: new Set(["x"]), shared: false, except: [] });
    expect(decide({ id: 3, partial: false }, plan(remove("x", "x_web")), [], written)).toEqual({ kind: "admit", sites: new Set(["x"]), shared: false, except: [] });
  });

  it("a full run's second pass (after a certificate order) does not delete the site a newer run created, nor undo its revert, after that run ended", async () => {
    const claims = createClaims();
    const full = claims.open(false);
    full.planning();
    expect(await full.admit(plan(update("a", "a_web")))).toEqual({ kind: "all" });
    // A newer commit, applied beside it: creates site x, reverts site r.
    const beside = claims.open(true);
    beside.planning();
    expect(await beside.admit(plan(update("a", "a_web"), update("x", "x_web"), update("r", "r_web")))).toEqual({ kind: "except", sites: ["a"] });
    beside.done();
    beside.close();
    full.done();
    // Second pass: its older commit has no x and the old r; planned after the newer run ended.
    // Left out from the start: the mass-deletion guard never counts x as a removal.
    expect(full.planning()).toEqual(["r", "x"]);
    expect(await full.admit(plan(remove("x", "x_web"), update("r", "r_web"), update("c", "c_web")))).toEqual({ kind: "except", sites: ["r", "x"] });
    expect([...full.sites()]).toEqual(["c"]);
    full.done();
    full.close();
    // The follow-up run (newest) applies its commit everywhere.
    const followUp = claims.open(false);
    expect(followUp.planning()).toEqual([]);
    expect(await followUp.admit(plan(update("x", "x_web"), update("r", "r_web")))).toEqual({ kind: "all" });
  });
});

describe("the trigger and the claims together", () => {
  it("B's run starts while A's rolls out and leaves A out; a plan with a shared change waits for the follow-up", async () => {
    const claims = createClaims();
    const plans: Record<string, Plan> = {
      start: plan(update("a", "a_web")),
      "webhook:b": plan(update("a", "a_web"), update("b", "b_web")),
      "webhook:shared": plan(update("c", "c_web"), update(null, "varnish")),
    };
    const admissions: string[] = [];
    const rollouts = new Map<string, () => void>();
    const t = createTrigger(
      async (reason, ctx) => {
        const claim = claims.open(ctx.concurrent);
        try {
          const p = plans[reason] ?? plan();
          let admission = await claim.admit(p);
          while (admission.kind === "replan") admission = await claim.admit(p);
          ctx.settled();
          admissions.push(`${reason}: ${JSON.stringify(admission)}`);
          if (admission.kind !== "defer") await new Promise<void>((r) => rollouts.set(reason, r));
          claim.done();
        } finally {
          claim.close();
        }
      },
      { onError: (e) => { throw e; }, concurrent: () => true },
    );
    const tick = () => new Promise((r) => setImmediate(r));
    t.trigger("start");
    await tick();
    t.trigger("webhook:b");
    await tick();
    expect(admissions).toEqual(['start: {"kind":"all"}', 'webhook:b: {"kind":"except","sites":["a"]}']);
    t.trigger("webhook:shared");
    await tick();
    expect(admissions[2]).toBe('webhook:shared: {"kind":"defer","why":"the plan changes the instance\'s shared objects"}');
    rollouts.get("webhook:b")?.();
    await tick();
    rollouts.get("start")?.();
    await tick();
    await tick();
    // The follow-up covers every trigger, the deferred shared change with them, once nothing else runs.
    expect(admissions[3]).toBe('webhook:b, webhook:shared: {"kind":"all"}');
    rollouts.get("webhook:b, webhook:shared")?.();
    await t.idle();
  });
});
