import type Docker from "dockerode";
import { renderSite } from "../../controller/desired/render";
import type { ServiceSpec } from "../../controller/desired/types";
import { connectDocker } from "../../controller/engine/docker";
import type { ApiService } from "../../controller/engine/api-types";
import { readSecretThroughJob } from "../../controller/jobs/read-secret-job";
import { loadSite } from "../../controller/reconcile/load-site";
import { clusterYaml, siteYaml } from "../support/manifests";
import { reconcileRepo } from "../support/reconcile";
import { createRepo, TestRepo } from "../support/repo";
import { execInService, removeInstance, testInstance } from "../support/swarm";

/**
 * How `simulium credentials` reads a generated secret: a job that mounts it, read through an
 * exec stream, with the job's log driver off. The value must reach the caller and never the
 * engine's logs (`docker service logs`, the container's log), which outlive the command.
 */
const docker = connectDocker();
const instance = testInstance("srd");
const site = `${instance}-k`;
let repo: TestRepo;

beforeAll(async () => {
  repo = await createRepo({ "simulium.yaml": clusterYaml(instance), [`sites/${site}.yaml`]: siteYaml(site, { volumes: false, secretRotation: 0 }) });
  const out = await reconcileRepo(docker, repo.dir, await repo.commit("site with a generated secret"));
  expect(out.result.ok).toBe(true);
});

afterAll(async () => {
  await removeInstance(docker, instance);
  repo?.cleanup();
});

async function logsOf(fetch: () => Promise<unknown>): Promise<string> {
  try {
    const raw = await fetch();
    return Buffer.isBuffer(raw) ? raw.toString("utf8") : String(raw);
  } catch (err) {
    // The engine refuses to read logs of a job whose driver is "none": nothing was kept.
    return `refused: ${err instanceof Error ? err.message : String(err)}`;
  }
}

test("the value comes back through the exec stream; the job's service and container logs never hold it", async () => {
  const { site: resolved, cluster } = await loadSite(repo.dir, site, undefined);
  const web = renderSite(resolved, cluster).find((r): r is ServiceSpec => r.kind === "service" && r.role === "web");
  if (!web) throw new Error("no web service rendered");
  const job: ServiceSpec = { ...web, shape: { ...web.shape, secrets: web.shape.secrets.filter((s) => s.target === "api-key"), mounts: [], env: {} } };

  let seen: { service: string; container: string; driver: string | undefined } | undefined;
  const value = await readSecretThroughJob(docker, {
    job,
    target: "api-key",
    kind: "credentials",
    timeoutSeconds: 120,
    beforeRemove: async (serviceId: string, container: Docker.Container) => {
      const service = (await docker.getService(serviceId).inspect()) as ApiService;
      seen = {
        driver: (service.Spec?.TaskTemplate as { LogDriver?: { Name?: string } } | undefined)?.LogDriver?.Name,
        service: await logsOf(() => docker.getService(serviceId).logs({ stdout: true, stderr: true, follow: false })),
        container: await logsOf(() => container.logs({ stdout: true, stderr: true, follow: false })),
      };
    },
  });

  const mounted = (await execInService(docker, `${site}_web`, ["cat", "/run/secrets/api-key"])).output;
  expect(mounted).toMatch(/^\S{24}$/);
  expect(value.toString("utf8")).toBe(mounted);
  expect(seen?.driver).toBe("none");
  expect(seen?.service).not.toContain(mounted);
  expect(seen?.container).not.toContain(mounted);
  // The job is gone afterwards, like every job.
  const left = (await docker.listServices({ filters: { label: [`simulium.instance=${instance}`, "simulium.role=job"] } })) as ApiService[];
  expect(left).toEqual([]);
});
