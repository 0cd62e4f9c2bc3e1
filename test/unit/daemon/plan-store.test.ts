import { mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, utimesSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { createPlanStore, isHeadSha, MAX_STORED_PLANS, parseStoredPlan, planStatusExtra, renderStoredPlanText, StoredPlan } from "../../../controller/daemon/plan-store";
import { StateStore } from "../../../controller/state/store";
import { makePlan } from "../../../controller/plan/plan";
import { desiredOf, site } from "../../fixtures/core/builders";
import { liveFromDesired } from "../../fixtures/core/live";

const sha = (n: number): string => n.toString(16).padStart(40, "0");
const entry = (n: number, text = `plan ${n}\n`): StoredPlan => ({ sha: sha(n), number: n, provider: "github", at: "2026-11-30T12:00:00.000Z", text });

describe("the preview loop's plans in memory (the plan page's source)", () => {
  it("keeps the last 100 heads: the oldest goes first, a head planned again counts as new", () => {
    const store = createPlanStore();
    for (let i = 1; i <= MAX_STORED_PLANS; i++) store.put(entry(i));
    expect(store.size).toBe(100);
    // Head 1 is planned again (a second push of the same sha, or a re-run): it is now the newest.
    store.put(entry(1, "plan 1, again\n"));
    store.put(entry(101));
    expect(store.size).toBe(100);
    expect(store.get(sha(1))?.text).toBe("plan 1, again\n");
    expect(store.get(sha(2))).toBeUndefined();
    expect(store.get(sha(3))?.text).toBe("plan 3\n");
    expect(store.get(sha(101))?.number).toBe(101);
    // A whole second pass: none of the first survives.
    for (let i = 200; i < 300; i++) store.put(entry(i));
    expect(store.size).toBe(100);
    expect([sha(1), sha(101), sha(199)].map((s) => store.get(s))).toEqual([undefined, undefined, undefined]);
    expect(store.get(sha(299))?.text).toBe("plan 299\n");
  });

  it("a smaller bound holds", () => {
    const store = createPlanStore(2);
    [1, 2, 3].forEach((n) => store.put(entry(n)));
    expect([1, 2, 3].map((n) => store.get(sha(n))?.number)).toEqual([undefined, 2, 3]);
  });
});

describe("the plan page's text", () => {
  const plan = makePlan(desiredOf([site({ web: { image: "registry.example.com/drupal-civicrm:hunter2" } })]), liveFromDesired(desiredOf([site()])));

  it("is `simulium plan`'s text, manifest errors first, with every known secret value cut out", () => {
    const text = renderStoredPlanText({
      plan,
      errors: [{ file: "sites/beta.yaml", line: 3, column: 5, path: "spec.image", message: "required" }],
      secrets: ["hunter2"],
    });
    expect(text).toMatch(/^1 manifest error\(s\)[^\n]*\nsites\/beta\.yaml:3:5: spec\.image: required\n/);
    expect(text).toContain("~ service acme_web will be updated in place");
    expect(text).toContain("registry.example.com/drupal-civicrm:[redacted]");
    expect(text).not.toContain("hunter2");
    expect(text).toContain("[redacted]");
  });

  it("says why when the head could not be planned", () => {
    expect(renderStoredPlanText({ errors: [], failure: "git fetch failed" })).toBe("no plan: the head could not be planned\ngit fetch failed\n");
  });
});

describe("the plan's commit status", () => {
  it("links the head's plan page under --dashboard-url, and nothing without it", () => {
    expect(planStatusExtra(sha(9), "https://simulium.example.org/ops")).toEqual({ contextSuffix: "plan", targetUrl: `https://simulium.example.org/ops/dashboard/plan/${sha(9)}` });
    expect(planStatusExtra(sha(9), "https://simulium.example.org/")).toEqual({ contextSuffix: "plan", targetUrl: `https://simulium.example.org/dashboard/plan/${sha(9)}` });
    expect(planStatusExtra(sha(9), undefined)).toEqual({ contextSuffix: "plan" });
  });

  it("a head sha is 40 or 64 lowercase hex, nothing else", () => {
    expect(isHeadSha(sha(1))).toBe(true);
    expect(isHeadSha("a".repeat(64))).toBe(true);
    for (const bad of ["A".repeat(40), "a".repeat(39), "a".repeat(41), "a".repeat(63), "g".repeat(40), "", `${"a".repeat(40)}\n`]) expect([bad, isHeadSha(bad)]).toEqual([bad, false]);
  });
});

describe("the plans on disk (a PR's plan link outlives a daemon restart)", () => {
  let dir = "";
  beforeEach(() => (dir = mkdtempSync(path.join(os.tmpdir(), "simulium-plans-"))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));
  const disk = (errors: unknown[] = []) => ({ store: () => new StateStore(dir, "demo", "read-write"), onError: (e: unknown) => errors.push(e) });

  it("a plan put before a restart is read back by the next daemon's store, 0600", () => {
    createPlanStore(MAX_STORED_PLANS, disk()).put({ ...entry(7), ref: "feature/x" });
    const file = path.join(dir, "demo", "plans", `${sha(7)}.json`);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const restarted = createPlanStore(MAX_STORED_PLANS, disk());
    expect(restarted.get(sha(7))).toEqual({ ...entry(7), ref: "feature/x" });
    expect(restarted.get(sha(8))).toBeUndefined();
  });

  it("keeps at most the bound on disk too, the oldest removed", () => {
    const store = createPlanStore(2, disk());
    for (const n of [1, 2, 3]) {
      store.put(entry(n));
      // Distinct modification times: the pruning goes by age.
      utimesSync(path.join(dir, "demo", "plans", `${sha(n)}.json`), n, n);
    }
    expect(readdirSync(path.join(dir, "demo", "plans")).sort()).toEqual([`${sha(2)}.json`, `${sha(3)}.json`]);
    expect(createPlanStore(2, disk()).get(sha(1))).toBeUndefined();
  });

  it("reads only a file named by a head sha, and refuses one that is not a stored plan", () => {
    mkdirSync(path.join(dir, "demo", "plans"), { recursive: true });
    writeFileSync(path.join(dir, "demo", "plans", `${sha(9)}.json`), JSON.stringify({ sha: sha(10), number: 1, provider: "github", at: "x", text: "t" }));
    const store = createPlanStore(MAX_STORED_PLANS, disk());
    expect(store.get(sha(9))).toBeUndefined();
    expect(store.get("../../etc/passwd")).toBeUndefined();
    expect(parseStoredPlan(Buffer.from("{half"), sha(9))).toBeUndefined();
  });

  it("a plan that cannot be written stays in memory and says why", () => {
    const errors: unknown[] = [];
    // A file where the plans folder should be: every write fails.
    mkdirSync(path.join(dir, "demo"), { recursive: true });
    writeFileSync(path.join(dir, "demo", "plans"), "not a folder");
    const store = createPlanStore(MAX_STORED_PLANS, disk(errors));
    store.put(entry(3));
    expect(store.get(sha(3))?.text).toBe("plan 3\n");
    expect(errors).toHaveLength(1);
  });
});
