import { connectDocker } from "../../controller/engine/docker";
import { cli } from "../support/cli";
import { clusterYaml, siteYaml } from "../support/manifests";
import { createRepo, TestRepo } from "../support/repo";
import { removeInstance, testInstance } from "../support/swarm";

const docker = connectDocker();
const instance = testInstance("cli");
const site = `${instance}-a`;
let repo: TestRepo;

beforeAll(async () => {
  repo = await createRepo({ "simulium.yaml": clusterYaml(instance), [`sites/${site}.yaml`]: siteYaml(site) });
});

afterAll(async () => {
  await removeInstance(docker, instance);
  repo.cleanup();
});

test("plan --detailed-exitcode says 2 while changes are pending and 0 once applied", async () => {
  const pending = await cli("plan", "--repo", repo.dir, "--detailed-exitcode");
  expect(pending.code).toBe(2);
  expect(pending.out).toContain(`site ${site}`);
  expect(pending.out).toContain(`+ service ${site}_web will be created`);

  const json = JSON.parse((await cli("plan", "--repo", repo.dir, "--json")).out) as { actions: { op: string; kind: string; site: string | null; name: string }[]; errors: unknown[] };
  expect(json.errors).toEqual([]);
  expect(json.actions.map((a) => `${a.op} ${a.kind} ${a.name}`)).toEqual([
    `create network ${instance}_admin`,
    `create network ${instance}_edge`,
    `create network ${instance}_tools`,
    `create network ${site}_default`,
    `create volume ${site}_files`,
    `create service ${site}_web`,
  ]);

  const applied = await cli("apply", "--repo", repo.dir, "--yes");
  expect(applied.code).toBe(0);
  expect(applied.out).toMatch(new RegExp(`${site}\\s+converged`));

  const after = await cli("plan", "--repo", repo.dir, "--detailed-exitcode");
  expect(after).toEqual({ code: 0, out: expect.stringContaining("No changes.") });

  const status = JSON.parse((await cli("status", "--repo", repo.dir, "--json")).out) as { sites: { site: string; state: string; commit: string }[] };
  expect(status.sites).toEqual([expect.objectContaining({ site, state: "converged", tasks: { running: 1, desired: 1 } })]);
  expect(status.sites[0].commit).toMatch(/^[0-9a-f]{40}$/);
});

test("plan exits 1 and names file, line and field when a manifest is invalid", async () => {
  repo.write(`sites/${site}.yaml`, siteYaml(site).replace("domains: [", "domains: [UPPER.case, "));
  const r = await cli("plan", "--repo", repo.dir, "--detailed-exitcode");
  expect(r.code).toBe(1);
  expect(r.out).toMatch(new RegExp(`error: sites/${site}\\.yaml:5:\\d+: spec\\.domains\\[0\\]`));
  expect(r.out).toContain(`site ${site}: manifest invalid, left as it runs`);
});

test("a health-check change shows in plan (exit 2) as what Varnish will probe; a domain change is a label update that restarts no task", async () => {
  const web = `${site}_web`;
  const manifest = (p: string, domains = [`${site}.test`]) =>
    siteYaml(site, { domains, healthInterval: null, web: [`healthcheck: {path: ${p}, interval: 2, timeout: 2}`] });
  repo.write(`sites/${site}.yaml`, manifest("/"));
  expect((await cli("apply", "--repo", repo.dir, "--yes")).code).toBe(0);
  expect((await cli("plan", "--repo", repo.dir, "--detailed-exitcode")).code).toBe(0);

  repo.write(`sites/${site}.yaml`, manifest("/healthz.php"));
  const pending = await cli("plan", "--repo", repo.dir, "--detailed-exitcode");
  expect(pending.code).toBe(2);
  expect(pending.out).toContain(`~ service ${web} will be updated`);
  expect(pending.out).toContain("~ routing.healthcheck.path: / → /healthz.php");
  expect((await cli("apply", "--repo", repo.dir, "--yes")).code).toBe(0);
  const labels = async () => ((await docker.getService(web).inspect()) as { Spec: { Labels: Record<string, string> } }).Spec.Labels;
  expect((await labels())["simulium.routing.healthcheck.path"]).toBe("/healthz.php");
  expect(await cli("plan", "--repo", repo.dir, "--detailed-exitcode")).toEqual({ code: 0, out: expect.stringContaining("No changes.") });

  const running = async () =>
    ((await docker.listTasks({ filters: JSON.stringify({ service: [web], "desired-state": ["running"] }) })) as { ID: string; Status?: { State?: string } }[])
      .filter((t) => t.Status?.State === "running")
      .map((t) => t.ID)
      .sort();
  const before = await running();
  expect(before).toHaveLength(1);
  repo.write(`sites/${site}.yaml`, manifest("/healthz.php", [`${site}.test`, `www.${site}.test`]));
  const domain = await cli("plan", "--repo", repo.dir, "--detailed-exitcode");
  expect(domain.code).toBe(2);
  expect(domain.out).toContain(`+ domains[www.${site}.test]`);
  expect((await cli("apply", "--repo", repo.dir, "--yes")).code).toBe(0);
  expect((await labels())["simulium.domains"]).toBe(`${site}.test,www.${site}.test`);
  expect(await running()).toEqual(before);
  expect((await cli("plan", "--repo", repo.dir, "--detailed-exitcode")).code).toBe(0);
});
