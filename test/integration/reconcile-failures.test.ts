import Docker from "dockerode";
import { connectDocker } from "../../controller/engine/docker";
import { renderPlanText } from "../../controller/plan/render";
import { readLive } from "../../controller/live/read";
import { planRepo } from "../../controller/features";
import { siteStatuses } from "../../controller/reconcile/status";
import { startCountingProxy } from "../support/counting-proxy";
import { clusterYaml, siteYaml } from "../support/manifests";
import { page, reconcileRepo, waitForPage } from "../support/reconcile";
import { createRepo, TestRepo } from "../support/repo";
import { removeInstance, testInstance } from "../support/swarm";

const docker = connectDocker();
const instance = testInstance("fail");
const good = `${instance}-good`;
const bad = `${instance}-bad`;
let repo: TestRepo;

beforeAll(async () => {
  repo = await createRepo({
    "simulium.yaml": clusterYaml(instance),
    [`sites/${good}.yaml`]: siteYaml(good),
    [`sites/${bad}.yaml`]: siteYaml(bad),
  });
  const out = await reconcileRepo(docker, repo.dir, await repo.commit("two sites"));
  expect(out.result.ok).toBe(true);
});

afterAll(async () => {
  await removeInstance(docker, instance);
  repo.cleanup();
});

const versions = async () => new Map((await readLive(docker, instance)).services.map((s) => [s.name, s.version]));

test("a broken manifest leaves that site exactly as it runs while the other converges", async () => {
  const before = await versions();
  repo.write(`sites/${bad}.yaml`, "apiVersion: simulium/v1\nkind: Site\nmetadata: {name: " + bad + "}\nspec: [not, a, mapping\n");
  repo.write(`sites/${good}.yaml`, siteYaml(good, { version: "2" }));
  const out = await reconcileRepo(docker, repo.dir, await repo.commit("break one, change the other"));
  expect(out.ctx.load.invalidSites).toEqual([bad]);
  expect(out.ctx.plan.errors[0]).toMatchObject({ file: `sites/${bad}.yaml`, line: 5, column: 1 });
  expect(out.ctx.plan.errors[0].message).toMatch(/invalid YAML: Flow sequence/);
  expect(out.ctx.plan.sites).toContainEqual({ site: bad, state: "invalid" });
  expect(out.result.sites).toEqual([{ site: good, state: "converged", applied: 1 }]);
  const after = await versions();
  expect(after.get(`${bad}_web`)).toBe(before.get(`${bad}_web`));
  expect(after.get(`${good}_web`)).not.toBe(before.get(`${good}_web`));
  expect(await page(docker, `${bad}_web`)).toContain(`site: ${bad}`);
});

test("a non-existent image fails the site with Swarm's reason, rolled back, and the previous version keeps serving", async () => {
  repo.write(`sites/${bad}.yaml`, siteYaml(bad));
  repo.write(`sites/${good}.yaml`, siteYaml(good, { version: "3", image: "simulium/web:does-not-exist" }));
  const out = await reconcileRepo(docker, repo.dir, await repo.commit("bad image"));
  expect(out.result.ok).toBe(false);
  const failed = out.result.sites.find((s) => s.site === good);
  expect(failed?.state).toBe("failed");
  expect(failed?.error).toMatch(/No such image: simulium\/web:does-not-exist/);
  const web = (await readLive(docker, instance)).services.find((s) => s.name === `${good}_web`);
  // Swarm rolled back and keeps no record of it; simulium marks the failed spec on the service.
  const attempted = out.ctx.plan.actions.find((a) => a.op === "update" && a.name === `${good}_web`);
  expect(attempted?.op === "update" && attempted.spec.labels["simulium.spec-hash"]).toMatch(/^[0-9a-f]{12}$/);
  expect(web?.labels["simulium.failed-spec-hash"]).toBe(attempted?.op === "update" ? attempted.spec.labels["simulium.spec-hash"] : "no update planned");
  expect(web?.labels["simulium.failed-reason"]).toMatch(/No such image: simulium\/web:does-not-exist/);
  expect(web?.shape.image).toBe("simulium/web:local");
  expect(await waitForPage(docker, `${good}_web`, /version: 2/)).toContain(`site: ${good}`);
  // The other site was not disturbed by this one's failure.
  expect(out.result.sites.find((s) => s.site === bad)?.state).not.toBe("failed");
  // Status reads the same story from the swarm alone.
  const { live, plan } = await planRepo(docker, repo.dir, { liveTasks: "all" });
  const statuses = siteStatuses(live, plan);
  expect(statuses.find((s) => s.site === good)).toMatchObject({ state: "failed", tasks: { running: 1, desired: 1 } });
  expect(statuses.find((s) => s.site === good)?.lastError).toMatch(/No such image: simulium\/web:does-not-exist/);
  expect(statuses.find((s) => s.site === bad)).toMatchObject({ state: "converged", tasks: { running: 1, desired: 1 } });
});

test("a rolled-back update is held: periodic reconciles do not retry it, an explicit retry does, a fixed manifest clears it", async () => {
  const web = (await readLive(docker, instance)).services.find((s) => s.name === `${good}_web`);
  expect(web?.labels["simulium.failed-reason"]).toMatch(/No such image: simulium\/web:does-not-exist/);
  expect(web?.shape.image).toBe("simulium/web:local");

  const proxy = await startCountingProxy();
  try {
    const counted = new Docker({ socketPath: proxy.socketPath });
    const again = await reconcileRepo(counted, repo.dir, "tick");
    const update = again.ctx.plan.actions.find((a) => a.op === "update" && a.name === `${good}_web`);
    expect(update).toMatchObject({ op: "update", held: true });
    expect(proxy.mutating()).toEqual([]);
    expect(again.result.sites.find((s) => s.site === good)).toMatchObject({ state: "failed" });
    expect(again.result.sites.find((s) => s.site === good)?.error).toMatch(/held.*No such image/);
    expect(renderPlanText(again.ctx.plan)).toMatch(/held: Swarm rolled this spec back: .*No such image/);

    const { live, plan } = await planRepo(docker, repo.dir, { liveTasks: "all" });
    expect(siteStatuses(live, plan).find((s) => s.site === good)).toMatchObject({ state: "failed" });

    proxy.reset();
    const retried = await reconcileRepo(counted, repo.dir, "retry", { retryFailed: true });
    expect(proxy.mutating().some((r) => r.startsWith("POST /services/") && r.endsWith("/update"))).toBe(true);
    expect(retried.result.sites.find((s) => s.site === good)?.error).toMatch(/No such image/);
  } finally {
    await proxy.close();
  }

  repo.write(`sites/${good}.yaml`, siteYaml(good, { version: "4" }));
  const fixed = await reconcileRepo(docker, repo.dir, await repo.commit("fix the image"));
  expect(fixed.result.sites.find((s) => s.site === good)?.state).toBe("converged");
  const after = (await readLive(docker, instance)).services.find((s) => s.name === `${good}_web`);
  expect(after?.labels["simulium.failed-spec-hash"]).toBeUndefined();
  expect(await waitForPage(docker, `${good}_web`, /version: 4/)).toContain(`site: ${good}`);
});
