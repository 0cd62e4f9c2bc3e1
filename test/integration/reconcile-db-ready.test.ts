import { connectDocker } from "../../controller/engine/docker";
import { planRepo } from "../../controller/features";
import { clusterYaml, siteYaml } from "../support/manifests";
import { page, reconcileRepo } from "../support/reconcile";
import { createRepo, TestRepo } from "../support/repo";
import { removeInstance, testInstance } from "../support/swarm";

jest.setTimeout(400_000);

/**
 * apply reports a site converged only once its database accepts the site's connections: the
 * database service has a health check (the site's user over TCP), and a task is running for
 * Swarm, and for apply, only once it passes. Checked with one request from the web task right
 * after apply returns, no retry: what a CMS's first request after a deploy does.
 */
const docker = connectDocker();
const instance = testInstance("dbr");
const site = `${instance}-s`;
let repo: TestRepo;

const database = (version: string) => [`  database: {name: site, user: site, env: {DB_VERSION_MARK: "${version}"}}`];

beforeAll(async () => {
  repo = await createRepo({ "simulium.yaml": clusterYaml(instance) });
});

afterAll(async () => {
  await removeInstance(docker, instance);
  repo?.cleanup();
});

test("right after the first apply, the web task connects to the new database with the site's credentials", async () => {
  repo.write(`sites/${site}.yaml`, siteYaml(site, { volumes: false, spec: database("1") }));
  const out = await reconcileRepo(docker, repo.dir, await repo.commit("site with a database"));
  expect(out.result.sites).toEqual([{ site, state: "converged", applied: expect.any(Number) }]);
  expect(await page(docker, `${site}_web`)).toMatch(/db: ok \(\d+\.\d+/);
});

test("right after an update restarts the database (stop-first), the web task connects again", async () => {
  repo.write(`sites/${site}.yaml`, siteYaml(site, { volumes: false, spec: database("2") }));
  const out = await reconcileRepo(docker, repo.dir, await repo.commit("database restarted"));
  expect(out.result.sites).toEqual([{ site, state: "converged", applied: 1 }]);
  expect(await page(docker, `${site}_web`)).toMatch(/db: ok \(\d+\.\d+/);
  // The health checks read back from the engine equal the rendered ones: nothing to redo.
  const { plan } = await planRepo(docker, repo.dir);
  expect(plan.actions).toEqual([]);
});
