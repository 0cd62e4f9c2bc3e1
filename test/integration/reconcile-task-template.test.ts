import { connectDocker } from "../../controller/engine/docker";
import { planRepo } from "../../controller/features";
import type { ApiTask } from "../../controller/engine/api-types";
import { clusterYaml, siteYaml } from "../support/manifests";
import { reconcileRepo } from "../support/reconcile";
import { createRepo, TestRepo } from "../support/repo";
import { removeInstance, testInstance } from "../support/swarm";

jest.setTimeout(300_000);

/**
 * Updates that change a service's task template outside its container (placement, resources)
 * are converged only when Swarm runs them: old tasks carry the same container, so a container
 * fingerprint called them converged before Swarm had even started the update.
 */
const docker = connectDocker();
const instance = testInstance("tt");
const site = `${instance}-s`;
let repo: TestRepo;

const write = (o: Parameters<typeof siteYaml>[1] = {}) => repo.write(`sites/${site}.yaml`, siteYaml(site, { volumes: false, ...o }));

async function webTasks(): Promise<ApiTask[]> {
  return (await docker.listTasks({ filters: { service: [`${site}_web`] } })) as ApiTask[];
}

beforeAll(async () => {
  repo = await createRepo({ "simulium.yaml": clusterYaml(instance) });
  write();
  const out = await reconcileRepo(docker, repo.dir, await repo.commit("site"));
  expect(out.result.ok).toBe(true);
});

afterAll(async () => {
  await removeInstance(docker, instance);
  repo?.cleanup();
});

test("a placement-only update no node satisfies is not reported converged: failed within the timeout, with Swarm's reason", async () => {
  write({ spec: ["  placement: {constraints: [node.labels.nope==1]}"] });
  const started = Date.now();
  const out = await reconcileRepo(docker, repo.dir, await repo.commit("unsatisfiable placement"), { timeoutSeconds: 20 });
  const seconds = (Date.now() - started) / 1000;
  console.log(`placement-only update: ${JSON.stringify(out.result.sites)} after ${seconds.toFixed(1)} s`);
  expect(out.result.ok).toBe(false);
  const outcome = out.result.sites.find((s) => s.site === site);
  expect(outcome?.state).toBe("failed");
  expect(outcome?.error).toMatch(/did not converge within 20s \(task pending: no suitable node/);
  expect(seconds).toBeLessThan(60);
  // Swarm then either leaves the site down (its constraint enforcer stopped the old task) or
  // runs the previous version (the update failed in time and rolled back). Either way apply
  // must not say "converged", and whatever runs is the previous spec, not a completed update.
  const running = (await webTasks()).filter((t) => t.Status?.State === "running");
  if (running.length > 0) {
    const service = await docker.getService(`${site}_web`).inspect();
    expect(service.UpdateStatus?.State).not.toBe("completed");
    expect(running.map((t) => t.Spec?.Placement?.Constraints ?? [])).toEqual(running.map(() => []));
  }
});

test("a resources-only update is reported converged only once tasks with the new limit run, and none without", async () => {
  write({ web: ["resources: {memory: 300M}"] });
  const out = await reconcileRepo(docker, repo.dir, await repo.commit("memory limit only"));
  expect(out.result.sites).toEqual([{ site, state: "converged", applied: 1 }]);
  const running = (await webTasks()).filter((t) => t.DesiredState === "running");
  expect(running.map((t) => ({ state: t.Status?.State, memory: t.Spec?.Resources?.Limits?.MemoryBytes }))).toEqual([{ state: "running", memory: 300 * 1024 * 1024 }]);
});

test("a resources-only update Swarm rolls back is reported failed and held: the next plan does not send it again", async () => {
  // Apache with mod_php does not start in 6 MiB: the new task is OOM-killed, Swarm rolls back.
  write({ web: ["resources: {memory: 6M}"] });
  const out = await reconcileRepo(docker, repo.dir, await repo.commit("memory limit too small"));
  const outcome = out.result.sites.find((s) => s.site === site);
  expect(outcome?.state).toBe("failed");
  expect(outcome?.error).toMatch(/exit code 137|non-zero exit \(137\)|rolled back/);
  const { plan } = await planRepo(docker, repo.dir);
  const update = plan.actions.find((a) => a.name === `${site}_web`);
  expect(update).toMatchObject({ op: "update", held: true });
  // The version that ran before serves on: the 300 MiB one.
  const running = (await webTasks()).filter((t) => t.DesiredState === "running" && t.Status?.State === "running");
  expect(running.map((t) => t.Spec?.Resources?.Limits?.MemoryBytes)).toEqual([300 * 1024 * 1024]);
});
