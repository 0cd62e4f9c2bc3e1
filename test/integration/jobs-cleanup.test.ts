import type Docker from "dockerode";
import { LABEL } from "../../controller/desired/labels";
import type { ServiceSpec } from "../../controller/desired/types";
import type { ApiService, ApiServiceSpec } from "../../controller/engine/api-types";
import { connectDocker } from "../../controller/engine/docker";
import { jobServiceSpec } from "../../controller/jobs/job-spec";
import { removeJobService, SERVICE_ID_LABEL } from "../../controller/apply/remove-job";
import { runJob } from "../../controller/jobs/run-job";
import { readLive } from "../../controller/live/read";
import { cli } from "../support/cli";
import { clusterYaml, siteYaml } from "../support/manifests";
import { reconcileRepo } from "../support/reconcile";
import { createRepo, TestRepo } from "../support/repo";
import { removeInstance, testInstance, waitFor } from "../support/swarm";

/**
 * Jobs leave nothing behind: their containers go with their services (an exited container
 * holds the site's volumes), and a job service whose runner died (a killed CLI or daemon) is
 * removed by the next reconcile once it ended or is overdue, never while it runs in time.
 */
const docker = connectDocker();
const instance = testInstance("jobgc");
const site = `${instance}-s`;
let repo: TestRepo;
let web: ServiceSpec;

beforeAll(async () => {
  repo = await createRepo({ "simulium.yaml": clusterYaml(instance), [`sites/${site}.yaml`]: siteYaml(site) });
  const out = await reconcileRepo(docker, repo.dir, await repo.commit("a site"));
  expect(out.result.ok).toBe(true);
  const found = out.ctx.desired.resources.find((r): r is ServiceSpec => r.kind === "service" && r.name === `${site}_web`);
  if (!found) throw new Error("no web service rendered");
  web = found;
});

afterAll(async () => {
  await removeInstance(docker, instance);
  repo.cleanup();
});

const jobContainers = async (): Promise<Docker.ContainerInfo[]> =>
  docker.listContainers({ all: true, filters: { label: [`${LABEL.instance}=${instance}`, `${LABEL.role}=job`] } });
const jobServices = async (): Promise<string[]> =>
  ((await docker.listServices({ filters: { label: [`${LABEL.instance}=${instance}`, `${LABEL.role}=job`] } })) as ApiService[]).map((s) => s.Spec?.Name ?? "").sort();

test("simulium exec leaves no container behind", async () => {
  const ran = await cli("exec", site, "--repo", repo.dir, "--", "true");
  expect(ran.code).toBe(0);
  expect(await jobServices()).toEqual([]);
  // Right when the command returns, not eventually.
  expect(await jobContainers()).toEqual([]);
});

test("a volume only a job used can be removed as soon as the job returns", async () => {
  const scratch = `${instance}-scratch`;
  await docker.createVolume({ Name: scratch, Labels: { [LABEL.instance]: instance } });
  const withScratch: ServiceSpec = { ...web, shape: { ...web.shape, mounts: [...web.shape.mounts, { source: scratch, target: "/scratch", readOnly: false }] } };
  const r = await runJob(docker, { web: withScratch, command: ["sh", "-c", "echo kept > /scratch/x"], timeoutSeconds: 120 });
  expect(r.exitCode).toBe(0);
  await docker.getVolume(scratch).remove();
  expect((await docker.listVolumes({ filters: { name: [scratch] } })).Volumes ?? []).toEqual([]);
});

/** A job service as a runner creates it, then left alone: what a killed CLI leaves. */
async function leaveJob(name: string, command: string[], deadline: Date): Promise<string> {
  const live = await readLive(docker, instance);
  const ids = {
    networkId: (n: string) => live.networks.find((x) => x.name === n)?.id ?? n,
    secretId: (n: string) => live.secrets.find((x) => x.name === n)?.id ?? n,
  };
  const spec: ApiServiceSpec = jobServiceSpec(web, name, command, ids, deadline);
  const created = (await docker.createService(spec as Docker.CreateServiceOptions)) as { id?: string; ID?: string };
  return created.id ?? created.ID ?? name;
}

test("the next reconcile removes a job left behind and its container, not a job running in time", async () => {
  const leaked = await leaveJob(`${site}_exec-leaked`, ["true"], new Date(Date.now() - 1000));
  const running = await leaveJob(`${site}_exec-running`, ["sleep", "600"], new Date(Date.now() + 600_000));
  await waitFor(async () => {
    const tasks = (await docker.listTasks({ filters: { service: [leaked, running] } })) as { ServiceID?: string; Status?: { State?: string } }[];
    const state = (id: string) => tasks.find((t) => t.ServiceID === id)?.Status?.State;
    return state(leaked) === "complete" && state(running) === "running";
  }, "the leaked job to end and the other to run");

  const out = await reconcileRepo(docker, repo.dir, await repo.commit("nothing changed"));
  expect(out.result.ok).toBe(true);
  expect(out.ctx.plan.actions.map((a) => `${a.op} ${a.name} ${a.op === "delete" ? a.reason : ""}`)).toEqual([`delete ${site}_exec-leaked job-expired`]);
  expect(await jobServices()).toEqual([`${site}_exec-running`]);
  expect(await docker.listContainers({ all: true, filters: { label: [`${SERVICE_ID_LABEL}=${leaked}`] } })).toEqual([]);

  // A second pass: the running job is still no change.
  const again = await reconcileRepo(docker, repo.dir, await repo.commit("still nothing"));
  expect(again.mutations).toBe(0);
  expect(await jobServices()).toEqual([`${site}_exec-running`]);
  await removeJobService(docker, running);
  expect(await jobContainers()).toEqual([]);
});
