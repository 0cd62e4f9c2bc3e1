import Docker from "dockerode";
import { connectDocker } from "../../controller/engine/docker";
import { readLive } from "../../controller/live/read";
import { planRepo } from "../../controller/features";
import { isMutation } from "../../controller/plan/types";
import { startCountingProxy } from "../support/counting-proxy";
import { clusterYaml, siteYaml } from "../support/manifests";
import { createRepo, TestRepo } from "../support/repo";
import { page, reconcileRepo, waitForPage } from "../support/reconcile";
import { removeInstance, testInstance } from "../support/swarm";

const docker = connectDocker();
const instance = testInstance("conv");
// Site names are global on a swarm (`<site>_web`), so each test file uses its own.
const alpha = `${instance}-alpha`;
const beta = `${instance}-beta`;
let repo: TestRepo;

beforeAll(async () => {
  repo = await createRepo({
    "simulium.yaml": clusterYaml(instance),
    [`sites/${alpha}.yaml`]: siteYaml(alpha, { database: true }),
    [`sites/${beta}.yaml`]: siteYaml(beta),
  });
});

afterAll(async () => {
  await removeInstance(docker, instance);
  repo.cleanup();
});

const serviceVersions = async () =>
  new Map((await readLive(docker, instance)).services.map((s) => [s.name, { version: s.version, commit: s.labels["simulium.commit"] }]));

test("two sites converge from a fixture repo, web reaching its database through a secret", async () => {
  const commit = await repo.commit("add alpha and beta");
  const out = await reconcileRepo(docker, repo.dir, commit);
  expect(out.result.ok).toBe(true);
  expect(out.result.sites.map((s) => [s.site, s.state])).toEqual([
    [alpha, "converged"],
    [beta, "converged"],
  ]);
  const live = await readLive(docker, instance);
  expect(live.services.map((s) => s.name).sort()).toEqual([`${alpha}_db`, `${alpha}_web`, `${beta}_web`]);
  for (const s of live.services) {
    expect(s.labels["simulium.commit"]).toBe(commit);
    expect(s.labels["com.docker.stack.namespace"]).toBe(s.site);
  }
  const text = await waitForPage(docker, `${alpha}_web`, /db: ok/);
  expect(text).toContain(`site: ${alpha}`);
  expect(await page(docker, `${beta}_web`)).toContain(`site: ${beta}`);
});

test("a second apply makes no mutating Docker API call, and ten reconciles make zero updates", async () => {
  const proxy = await startCountingProxy();
  try {
    const counted = new Docker({ socketPath: proxy.socketPath });
    const before = await serviceVersions();
    const out = await reconcileRepo(counted, repo.dir, "unchanged");
    expect(out.mutations).toBe(0);
    expect(proxy.mutating()).toEqual([]);
    // Reading is a constant number of list calls (networks, volumes, secrets, services, nodes),
    // plus the engine's own node ID once per client (GET /info). No task list: every site's pin
    // is recorded on its services and there is no job, so a plan reads no task (live/read.ts).
    expect(proxy.requests.length).toBe(6);
    expect(proxy.requests.filter((r) => /\/tasks\b/.test(r))).toEqual([]);
    for (let i = 0; i < 10; i++) {
      const again = await reconcileRepo(counted, repo.dir, `tick-${i}`);
      expect(again.mutations).toBe(0);
    }
    expect(proxy.requests.length).toBe(6 + 10 * 5);
    expect(proxy.mutating()).toEqual([]);
    expect(await serviceVersions()).toEqual(before);
  } finally {
    await proxy.close();
  }
});

test("changing one site's image settings updates only that site, and its page changes", async () => {
  const before = await serviceVersions();
  repo.write(`sites/${beta}.yaml`, siteYaml(beta, { version: "2" }));
  const commit = await repo.commit("beta v2");
  const { plan } = await planRepo(docker, repo.dir);
  const mutations = plan.actions.filter(isMutation);
  expect(mutations.map((a) => [a.op, a.name])).toEqual([["update", `${beta}_web`]]);
  expect(mutations[0].changes).toContainEqual({ field: "env.SITE_VERSION", op: "~", before: "1", after: "2" });

  const out = await reconcileRepo(docker, repo.dir, commit);
  expect(out.result.ok).toBe(true);
  expect(await waitForPage(docker, `${beta}_web`, /version: 2/)).toContain(`site: ${beta}`);
  const after = await serviceVersions();
  expect(after.get(`${beta}_web`)?.commit).toBe(commit);
  // The commit that left alpha unchanged touched none of alpha's objects.
  expect(after.get(`${alpha}_web`)).toEqual(before.get(`${alpha}_web`));
  expect(after.get(`${alpha}_db`)).toEqual(before.get(`${alpha}_db`));
});
