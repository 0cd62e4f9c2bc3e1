import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { planRepo } from "../../controller/features";
import { renderPlanText } from "../../controller/plan/render";
import { isMutation } from "../../controller/plan/types";
import { clusterUp, nodeSocket, tasksOf, TestCluster, CLUSTER_RUN_DIR } from "../support/cluster";
import { clusterYaml } from "../support/manifests";
import { createRepo, TestRepo } from "../support/repo";
import { reconcileRepo } from "../support/reconcile";
import { removeInstance, testInstance, waitFor } from "../support/swarm";

/**
 * Images from a real registry on the 3-node swarm (harness/cluster.sh): Debian's
 * docker-registry with htpasswd auth on the cluster bridge. The manifest names the image by
 * registry address and tag; simulium resolves the tag to its digest at every plan, sends the
 * credentials of registryAuth, and the nodes pull. A tag pushed again is an update; a registry
 * refusing the credentials or down leaves the site as it runs, with the error.
 */

const REGISTRY = "10.78.0.1:5000";
const IMAGE = `${REGISTRY}/simulium/busybox:local`;
const registryDir = `${CLUSTER_RUN_DIR}/registry`;
const goodConfig = `${registryDir}/docker-config/config.json`;
const instance = testInstance("reg");
const siteName = `${instance}-app`;
const web = `${siteName}_web`;
let cluster: TestCluster;
let repo: TestRepo;
let scratch: string;

const clusterWith = (configFile: string): string => clusterYaml(instance, `  registryAuth: {configFile: "${configFile}"}\n`);
const siteYaml = (env = "1"): string => `apiVersion: simulium/v1
kind: Site
metadata: {name: ${siteName}}
spec:
  domains: [${siteName}.test]
  web: {image: "${IMAGE}", command: [sh, -c, "trap 'exit 0' TERM; sleep 1000000 & wait"], replicas: 2, env: {RELEASE: "${env}"}}
  placement: {constraints: ["node.role==worker"]}
`;

/** The docker CLI on node 1 (the only engine that trusts the plain-HTTP registry and has the base image), as the registry's user. */
function node1(args: string[], input?: string): string {
  const r = spawnSync("docker", ["-H", `unix://${nodeSocket(1)}`, ...args], { input, encoding: "utf8", env: { ...process.env, DOCKER_CONFIG: path.dirname(goodConfig) }, timeout: 120_000 });
  if (r.status !== 0) throw new Error(`docker ${args.join(" ")} failed: ${r.stderr}`);
  return r.stdout;
}

function registry(action: "stop" | "start"): void {
  const r = spawnSync("bash", [path.resolve(__dirname, "../../harness/cluster.sh"), "registry", action], { stdio: ["ignore", "inherit", "inherit"], timeout: 60_000 });
  if (r.status !== 0) throw new Error(`harness/cluster.sh registry ${action} failed`);
}

/** Pushes a new image under the same tag (a rebuild: a new layer-free config), returns its digest. */
function pushRebuild(marker: string): string {
  node1(["build", "-q", "-t", IMAGE, "-"], `FROM simulium/busybox:local\nLABEL rebuilt=${marker}\n`);
  const out = node1(["push", IMAGE]);
  const digest = /digest: (sha256:[a-f0-9]{64})/.exec(out)?.[1];
  if (!digest) throw new Error(`no digest in the push output: ${out}`);
  return digest;
}

const serviceImage = async (): Promise<string> =>
  ((await cluster.manager.getService(web).inspect()) as { Spec: { TaskTemplate: { ContainerSpec: { Image: string } } } }).Spec.TaskTemplate.ContainerSpec.Image;

interface TaskWithImage {
  readonly DesiredState?: string;
  readonly Status?: { State?: string };
  readonly Spec: { ContainerSpec: { Image: string } };
}

/** The digest each running task was started with. */
async function runningDigests(): Promise<string[]> {
  const tasks = (await cluster.manager.listTasks({ filters: JSON.stringify({ service: [web] }) })) as TaskWithImage[];
  return tasks.filter((t) => t.Status?.State === "running" && t.DesiredState === "running").map((t) => t.Spec.ContainerSpec.Image.split("@")[1] ?? "");
}

beforeAll(async () => {
  cluster = await clusterUp(3);
  scratch = mkdtempSync(path.join(os.tmpdir(), "simulium-registry-"));
  repo = await createRepo({ "simulium.yaml": clusterWith(goodConfig), [`sites/${siteName}.yaml`]: siteYaml() });
});

afterAll(async () => {
  registry("start");
  if (cluster) await removeInstance(cluster.manager, instance);
  repo?.cleanup();
  if (scratch) rmSync(scratch, { recursive: true, force: true });
});

let first: string;

test("apply resolves the tag to its digest with the registry's credentials; every task runs that digest, pulled by its node", async () => {
  first = pushRebuild(`first-${instance}`);
  const out = await reconcileRepo(cluster.manager, repo.dir, await repo.commit("add the app"));
  expect(out.ctx.plan.errors).toEqual([]);
  expect(out.result.ok).toBe(true);
  expect(await serviceImage()).toBe(`${IMAGE}@${first}`);
  const digests = await waitFor(async () => {
    const d = await runningDigests();
    return d.length === 2 ? d : undefined;
  }, "two running tasks", 120_000);
  expect(digests).toEqual([first, first]);
  // The workers had no image of that name (harness/cluster.sh loads only local names): each
  // pulled it by digest from the registry.
  const nodes = new Set((await tasksOf(cluster, web)).filter((t) => t.Status?.State === "running").map((t) => t.NodeID));
  expect(nodes.size).toBeGreaterThan(0);
  for (const id of nodes) {
    const node = cluster.byId(id as string);
    const img = (await node.docker.getImage(`${REGISTRY}/simulium/busybox@${first}`).inspect()) as { RepoDigests: string[] };
    expect(img.RepoDigests).toContain(`${REGISTRY}/simulium/busybox@${first}`);
  }

  const again = await reconcileRepo(cluster.manager, repo.dir, "again");
  expect(again.mutations).toBe(0);
});

test("the same tag pushed again is an update, shown as image: …@sha256:old → new, and rolled out", async () => {
  const second = pushRebuild(`second-${instance}`);
  expect(second).not.toBe(first);
  const ctx = await planRepo(cluster.manager, repo.dir);
  const changes = ctx.plan.actions.filter(isMutation).map((a) => [a.name, a.changes.map((c) => c.field)]);
  expect(changes).toEqual([[web, ["image"]]]);
  expect(renderPlanText(ctx.plan)).toContain(`~ image: ${IMAGE}@${first} → ${second}`);

  const out = await reconcileRepo(cluster.manager, repo.dir, "rebuilt");
  expect(out.result.ok).toBe(true);
  expect(await serviceImage()).toBe(`${IMAGE}@${second}`);
  await waitFor(async () => {
    const d = await runningDigests();
    return d.length === 2 && d.every((x) => x === second) ? true : undefined;
  }, "both tasks on the new digest", 120_000);
  first = second;
});

test("credentials the registry refuses: the site is left as it runs, with an error naming the image and the reason", async () => {
  const wrong = path.join(scratch, "config.json");
  writeFileSync(wrong, JSON.stringify({ auths: { [REGISTRY]: { auth: Buffer.from("simulium:wrong-password").toString("base64") } } }), { mode: 0o600 });
  repo.write("simulium.yaml", clusterWith(wrong));
  // A manifest change that would be an update if the image could be resolved.
  repo.write(`sites/${siteName}.yaml`, siteYaml("2"));
  const out = await reconcileRepo(cluster.manager, repo.dir, await repo.commit("wrong credentials"));
  expect(out.mutations).toBe(0);
  expect(out.ctx.plan.errors.map((e) => `${e.file} ${e.path}: ${e.message}`)).toEqual([
    expect.stringMatching(new RegExp(`^sites/${siteName}.yaml spec.web.image: image ${IMAGE.replace(/\./g, "\\.")} \\(service ${web}\\) cannot be resolved to a digest: .*unauthorized.*Nothing of this site is changed$`)),
  ]);
  expect(out.ctx.plan.errors[0].message).not.toContain("wrong-password");
  expect(await serviceImage()).toBe(`${IMAGE}@${first}`);
});

test("a registry that is down: the site is left as it runs with the error; once it is back the pending change is applied", async () => {
  repo.write("simulium.yaml", clusterWith(goodConfig));
  await repo.commit("credentials back");
  registry("stop");
  try {
    const out = await reconcileRepo(cluster.manager, repo.dir, "registry down");
    expect(out.mutations).toBe(0);
    expect(out.ctx.plan.errors.map((e) => e.message)).toEqual([expect.stringMatching(/cannot be resolved to a digest: .*connection refused.*Nothing of this site is changed$/)]);
    expect(await serviceImage()).toBe(`${IMAGE}@${first}`);
  } finally {
    registry("start");
  }
  const out = await reconcileRepo(cluster.manager, repo.dir, "registry back");
  expect(out.ctx.plan.errors).toEqual([]);
  expect(out.result.ok).toBe(true);
  expect(out.ctx.plan.actions.filter(isMutation).map((a) => [a.name, a.changes.map((c) => c.field)])).toEqual([[web, ["env.RELEASE"]]]);
  expect(await serviceImage()).toBe(`${IMAGE}@${first}`);
});
