import { hookFailure, isDeployChange, plannedHooks, renderPlannedHooks } from "../../../controller/jobs/hooks";
import { siteWebSpec } from "../../../controller/jobs/site-web";
import type { Plan, UpdateAction } from "../../../controller/plan/types";
import { loadSite, siteYaml } from "../manifests/helpers";

const load = loadSite("acme", `${siteYaml()}  hooks:\n    preDeploy:\n      - command: [drush, updb, -y]\n    postDeploy:\n      - command: [drush, cr]\n`);
const acme = load.sites[0];
if (!acme || !load.cluster) throw new Error("fixture does not load");
const web = siteWebSpec(acme, load.cluster);
const db = { ...web, name: "acme_db", role: "db" as const };

const update = (over: Partial<UpdateAction> = {}): UpdateAction => ({
  op: "update",
  kind: "service",
  site: "acme",
  name: web.name,
  spec: web,
  id: "x",
  version: 1,
  changes: [],
  drift: false,
  held: false,
  deploy: true,
  owesPostDeploy: false,
  phase: "Sync",
  wave: 1,
  ...over,
});
const plan = (actions: Plan["actions"]): Plan => ({ instance: "default", actions, sites: [], warnings: [], errors: [] });

describe("deploy hooks in the plan", () => {
  it("runs around an update of the web service's desired spec", () => {
    const hooks = plannedHooks(plan([update()]), [acme]);
    expect(hooks).toEqual([
      { site: "acme", phase: "preDeploy", command: ["drush", "updb", "-y"] },
      { site: "acme", phase: "postDeploy", command: ["drush", "cr"] },
    ]);
    expect(renderPlannedHooks(hooks)).toBe("  acme: will run preDeploy: drush updb -y  [PreSync, wave 2: preDeploy hooks]\n  acme: will run postDeploy: drush cr  [PostSync, wave 0: postDeploy hooks]\n");
  });

  it("does not run for a drift correction, a held update, the database, or a plan without change", () => {
    // makePlan computes deploy (test/unit/plan/deploy-change.test.ts); the hooks follow it.
    expect(isDeployChange(update({ drift: true, deploy: false }))).toBe(false);
    expect(isDeployChange(update({ spec: db, name: db.name, deploy: false }))).toBe(false);
    expect(plannedHooks(plan([update({ held: true })]), [acme])).toEqual([]);
    expect(plannedHooks(plan([]), [acme])).toEqual([]);
  });
});

describe("hookFailure", () => {
  const hook = { command: ["drush", "updb"], timeout: 60 };
  it("names the command, its exit code and its last lines", () => {
    expect(hookFailure("preDeploy", hook, { exitCode: 3, output: "a\nboom\n" })).toBe('preDeploy "drush updb" failed with exit code 3: a\nboom');
  });
  it("says when the job did not run to an end", () => {
    expect(hookFailure("postDeploy", hook, { error: "job did not finish within 60 s" })).toBe('postDeploy "drush updb" did not run to an end: job did not finish within 60 s');
  });
});

describe("a backup as a preDeploy hook", () => {
  const withBackup = loadSite("acme", `${siteYaml()}  hooks:\n    preDeploy:\n      - backup: true\n      - command: [drush, updb, -y]\n`).sites[0];

  it("shows in the plan in its place", () => {
    if (!withBackup) throw new Error("fixture does not load");
    expect(renderPlannedHooks(plannedHooks(plan([update()]), [withBackup]))).toBe("  acme: will run preDeploy: simulium backup  [PreSync, wave 2: preDeploy hooks]\n  acme: will run preDeploy: drush updb -y  [PreSync, wave 2: preDeploy hooks]\n");
  });
});
