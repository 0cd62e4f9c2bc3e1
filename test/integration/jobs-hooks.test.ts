import { connectDocker } from "../../controller/engine/docker";
import { cli } from "../support/cli";
import { clusterYaml, siteYaml } from "../support/manifests";
import { siteSql, whenDatabaseAnswers } from "../support/site-sql";
import { page, reconcileRepo, waitForPage } from "../support/reconcile";
import { createRepo, TestRepo } from "../support/repo";
import { execInService, removeInstance, testInstance } from "../support/swarm";

/**
 * Deploy hooks on the real engine: postDeploy runs once per change of the web service (not
 * on a reconcile that changes nothing), and a failing preDeploy keeps the old version serving.
 */
const docker = connectDocker();
const instance = testInstance("hook");
const site = `${instance}-h`;
let repo: TestRepo;

const SQL = siteSql;
// The hook sees the new spec's environment: the version it records is the one being deployed.
const RECORD = (phase: string) => SQL(`CREATE TABLE IF NOT EXISTS deploys (phase VARCHAR(20), version VARCHAR(20)); INSERT INTO deploys VALUES ('${phase}', '$SITE_VERSION')`);

function manifest(version: string, preDeployFails = false, domains?: readonly string[]): string {
  const hooks = ["  hooks:"];
  if (preDeployFails) hooks.push("    preDeploy:", `      - command: [sh, -c, ${JSON.stringify(`${RECORD("pre")}; echo migration refused; exit 4`)}]`);
  hooks.push("    postDeploy:", `      - command: [sh, -c, ${JSON.stringify(RECORD("post"))}]`);
  return siteYaml(site, { database: true, volumes: false, version, ...(domains ? { domains } : {}) }) + hooks.join("\n") + "\n";
}

async function rows(phase: string, version: string): Promise<number> {
  const r = await execInService(docker, `${site}_web`, ["sh", "-c", SQL(`SELECT COUNT(*) FROM deploys WHERE phase='${phase}' AND version='${version}'`)]);
  if (r.exitCode !== 0) throw new Error(`query failed: ${r.output}`);
  return Number(r.output.trim());
}

beforeAll(async () => {
  repo = await createRepo({ "simulium.yaml": clusterYaml(instance), [`sites/${site}.yaml`]: manifest("1") });
  const out = await reconcileRepo(docker, repo.dir, await repo.commit("v1"));
  expect(out.result.ok).toBe(true);
  // The first deploy creates the service: no hook ran, and the database must be up for the next ones.
  await whenDatabaseAnswers(docker, site, "CREATE TABLE IF NOT EXISTS deploys (phase VARCHAR(20), version VARCHAR(20))");
});

afterAll(async () => {
  await removeInstance(docker, instance);
  repo?.cleanup();
});

test("a changed web service runs postDeploy once, and a reconcile without change does not run it again", async () => {
  repo.write(`sites/${site}.yaml`, manifest("2"));
  const out = await reconcileRepo(docker, repo.dir, await repo.commit("v2"));
  expect(out.result.sites.find((s) => s.site === site)).toMatchObject({ state: "converged" });
  await waitForPage(docker, `${site}_web`, /version: 2/);
  expect(await rows("post", "2")).toBe(1);

  const again = await reconcileRepo(docker, repo.dir, await repo.commit("no change"));
  expect(again.mutations).toBe(0);
  expect(await rows("post", "2")).toBe(1);
});

test("simulium apply (the CLI) runs the same hooks as the daemon's reconcile, once per change", async () => {
  repo.write(`sites/${site}.yaml`, manifest("2b"));
  await repo.commit("v2b, deployed by hand");
  const applied = await cli("apply", "--repo", repo.dir, "--yes");
  expect(applied.code).toBe(0);
  await waitForPage(docker, `${site}_web`, /version: 2b/);
  expect(await rows("post", "2b")).toBe(1);
  expect((await cli("apply", "--repo", repo.dir, "--yes")).code).toBe(0);
  expect(await rows("post", "2b")).toBe(1);
});

test("a failing preDeploy keeps the old version serving, fails the site with the exit code and output, and is not re-run", async () => {
  repo.write(`sites/${site}.yaml`, manifest("3", true));
  const out = await reconcileRepo(docker, repo.dir, await repo.commit("v3 with a failing migration"));
  const outcome = out.result.sites.find((s) => s.site === site);
  expect(outcome?.state).toBe("failed");
  expect(outcome?.error).toMatch(/preDeploy .* failed with exit code 4: migration refused/);
  expect(await page(docker, `${site}_web`)).toMatch(/version: 2b/);
  expect(await rows("pre", "3")).toBe(1);
  expect(await rows("post", "3")).toBe(0);

  // Held like a rolled-back update: the next reconcile neither updates nor runs the hook again.
  const again = await reconcileRepo(docker, repo.dir, await repo.commit("retry by timer"));
  expect(again.result.sites.find((s) => s.site === site)).toMatchObject({ state: "failed", error: expect.stringMatching(/update held.*preDeploy .* failed with exit code 4/) });
  expect(await rows("pre", "3")).toBe(1);
  expect(await page(docker, `${site}_web`)).toMatch(/version: 2b/);
});

test("a change of domains (a label) is no deploy: it runs no hook", async () => {
  repo.write(`sites/${site}.yaml`, manifest("4"));
  expect((await reconcileRepo(docker, repo.dir, await repo.commit("v4"))).result.sites.find((s) => s.site === site)).toMatchObject({ state: "converged" });
  await waitForPage(docker, `${site}_web`, /version: 4/);
  expect(await rows("post", "4")).toBe(1);
  repo.write(`sites/${site}.yaml`, manifest("4", false, [`${site}.test`, `www.${site}.test`]));
  const out = await reconcileRepo(docker, repo.dir, await repo.commit("a second domain"));
  expect(out.ctx.plan.actions.find((a) => a.name === `${site}_web`)).toMatchObject({ op: "update", deploy: false });
  expect(out.result.sites.find((s) => s.site === site)).toMatchObject({ state: "converged" });
  expect(await rows("post", "4")).toBe(1);
});

test("a postDeploy owed when the controller stopped after the update runs on the next reconcile, once", async () => {
  // What the update leaves on the service until its hook ran: a controller killed in between.
  const service = docker.getService(`${site}_web`);
  const current = (await service.inspect()) as { Version: { Index: number }; Spec: { Labels: Record<string, string> } };
  await service.update({ ...current.Spec, Labels: { ...current.Spec.Labels, "simulium.pending-hook": "postDeploy" }, version: current.Version.Index });
  const out = await reconcileRepo(docker, repo.dir, await repo.commit("controller restarted"));
  expect(out.ctx.plan.actions.map((a) => `${a.op} ${a.name}`)).toEqual([`hook ${site}_web`]);
  expect(await rows("post", "4")).toBe(2);
  const labels = ((await service.inspect()) as { Spec: { Labels: Record<string, string> } }).Spec.Labels;
  expect(labels["simulium.pending-hook"]).toBeUndefined();
  expect((await reconcileRepo(docker, repo.dir, await repo.commit("again"))).mutations).toBe(0);
  expect(await rows("post", "4")).toBe(2);
});
