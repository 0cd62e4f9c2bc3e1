import { enterMaintenance } from "../../controller/apply/maintenance";
import { LABEL } from "../../controller/desired/labels";
import { connectDocker } from "../../controller/engine/docker";
import type { ApiService } from "../../controller/engine/api-types";
import { clusterYaml, siteYaml } from "../support/manifests";
import { reconcileRepo } from "../support/reconcile";
import { createRepo, TestRepo } from "../support/repo";
import { removeInstance, testInstance, waitFor } from "../support/swarm";

const docker = connectDocker();
const instance = testInstance("hold");
const site = `${instance}-a`;
const web = `${site}_web`;
let repo: TestRepo;

beforeAll(async () => {
  repo = await createRepo({ "simulium.yaml": clusterYaml(instance), [`sites/${site}.yaml`]: siteYaml(site) });
});

afterAll(async () => {
  await removeInstance(docker, instance);
  repo.cleanup();
});

const inspect = async () => (await docker.getService(web).inspect()) as ApiService;
const replicas = async () => (await inspect()).Spec?.Mode?.Replicated?.Replicas;

test("a restore's hold keeps reconciles off the web service; leaving it scales the site back", async () => {
  expect((await reconcileRepo(docker, repo.dir, await repo.commit("site"))).result.ok).toBe(true);
  const wanted = await replicas();
  expect(wanted).toBeGreaterThan(0);

  const hold = await enterMaintenance(docker, web, "restore", 600, { pollMs: 200 });
  expect(hold.replicas).toBe(wanted);
  expect(await replicas()).toBe(0);
  expect((await inspect()).Spec?.Labels?.[LABEL.maintenance]).toMatch(/^restore until \d{4}-/);

  // What the daemon's resync does meanwhile: it sees the hold, warns, and changes nothing.
  const during = await reconcileRepo(docker, repo.dir, "resync during the restore");
  expect(during.mutations).toBe(0);
  expect(during.ctx.plan.warnings.map((w) => w.message)).toEqual([expect.stringMatching(/^restore in progress until .*: not reconciled until it ends$/)]);
  expect(await replicas()).toBe(0);

  await hold.leave();
  expect(await replicas()).toBe(wanted);
  expect((await inspect()).Spec?.Labels?.[LABEL.maintenance]).toBeUndefined();
  expect((await reconcileRepo(docker, repo.dir, "after")).mutations).toBe(0);
});

test("a hold left behind by a killed CLI runs out, and the next reconcile brings the site back", async () => {
  const wanted = await replicas();
  await enterMaintenance(docker, web, "import", 2, { pollMs: 200 });
  expect(await replicas()).toBe(0);
  await new Promise((r) => setTimeout(r, 2500));
  const out = await reconcileRepo(docker, repo.dir, "after the hold ran out");
  expect(out.result.ok).toBe(true);
  expect(out.mutations).toBe(1);
  expect(await replicas()).toBe(wanted);
  expect((await inspect()).Spec?.Labels?.[LABEL.maintenance]).toBeUndefined();
  await waitFor(async () => ((await docker.listTasks({ filters: { service: [web], "desired-state": ["running"] } })) as unknown[]).length === wanted || undefined, "web tasks back");
});
