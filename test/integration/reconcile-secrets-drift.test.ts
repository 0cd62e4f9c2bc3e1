import { connectDocker } from "../../controller/engine/docker";
import { readLive } from "../../controller/live/read";
import { planRepo } from "../../controller/features";
import { clusterYaml, siteYaml } from "../support/manifests";
import { reconcileRepo } from "../support/reconcile";
import { createRepo, TestRepo } from "../support/repo";
import { execInService, removeInstance, testInstance, waitFor } from "../support/swarm";

const docker = connectDocker();
const instance = testInstance("sec");
const site = `${instance}-s`;
let repo: TestRepo;

beforeAll(async () => {
  repo = await createRepo({ "simulium.yaml": clusterYaml(instance), [`sites/${site}.yaml`]: siteYaml(site, { secretRotation: 0 }) });
  const out = await reconcileRepo(docker, repo.dir, await repo.commit("site with a generated secret"));
  expect(out.result.ok).toBe(true);
});

afterAll(async () => {
  await removeInstance(docker, instance);
  repo.cleanup();
});

const readSecret = async () => (await execInService(docker, `${site}_web`, ["cat", "/run/secrets/api-key"])).output;

test("a generated secret is created once, mounted, and survives unrelated changes", async () => {
  const value = await readSecret();
  expect(value).toMatch(/^[A-Za-z0-9]{24}$/);
  repo.write(`sites/${site}.yaml`, siteYaml(site, { secretRotation: 0, version: "2" }));
  const out = await reconcileRepo(docker, repo.dir, await repo.commit("v2"));
  expect(out.result.ok).toBe(true);
  await waitFor(async () => (await execInService(docker, `${site}_web`, ["printenv", "SITE_VERSION"])).output.trim() === "2", "v2 task");
  expect(await readSecret()).toBe(value);
});

test("rotating a secret switches the service to a new secret and removes the old one after", async () => {
  const before = (await readLive(docker, instance)).secrets.map((s) => s.name);
  const oldValue = await readSecret();
  repo.write(`sites/${site}.yaml`, siteYaml(site, { secretRotation: 1, version: "2" }));
  const commit = await repo.commit("rotate api-key");
  const { plan } = await planRepo(docker, repo.dir);
  const text = JSON.stringify(plan.actions.map((a) => ({ op: a.op, name: a.name, changes: a.changes })));
  expect(text).not.toContain(oldValue);
  expect(plan.actions.map((a) => `${a.op} ${a.kind}`)).toEqual(["create secret", "update service", "delete secret"]);

  const out = await reconcileRepo(docker, repo.dir, commit);
  expect(out.result.ok).toBe(true);
  const after = (await readLive(docker, instance)).secrets.map((s) => s.name);
  expect(after).toHaveLength(1);
  expect(before).not.toContain(after[0]);
  const newValue = await readSecret();
  expect(newValue).toMatch(/^[A-Za-z0-9]{24}$/);
  expect(newValue).not.toBe(oldValue);
});

test("a service edited by hand shows as drift in the plan and apply puts it back", async () => {
  const live = await readLive(docker, instance);
  const web = live.services.find((s) => s.name === `${site}_web`);
  if (!web) throw new Error("web service missing");
  const inspect = await docker.getService(web.id).inspect();
  const spec = inspect.Spec;
  spec.TaskTemplate.ContainerSpec.Env = [...(spec.TaskTemplate.ContainerSpec.Env ?? []), "HAND_EDIT=1"];
  spec.Mode = { Replicated: { Replicas: 2 } };
  await docker.getService(web.id).update({ ...spec, version: inspect.Version.Index });

  const { plan } = await planRepo(docker, repo.dir);
  const update = plan.actions.find((a) => a.op === "update");
  expect(update).toMatchObject({ op: "update", name: `${site}_web`, drift: true });
  expect(update?.changes).toEqual(
    expect.arrayContaining([
      { field: "env.HAND_EDIT", op: "-", before: "1" },
      { field: "replicas", op: "~", before: "2", after: "1" },
    ]),
  );
  const out = await reconcileRepo(docker, repo.dir, "revert-drift");
  expect(out.result.ok).toBe(true);
  const again = await planRepo(docker, repo.dir);
  expect(again.plan.actions.filter((a) => a.op !== "retain")).toEqual([]);
  const fixed = (await readLive(docker, instance)).services.find((s) => s.name === `${site}_web`);
  expect(fixed?.shape.env.HAND_EDIT).toBeUndefined();
  expect(fixed?.shape.replicas).toBe(1);
});
