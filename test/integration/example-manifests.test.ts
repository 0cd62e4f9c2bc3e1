import Docker from "dockerode";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { loadRepo } from "../../controller/manifests/load";
import { cli } from "../support/cli";
import { createRepo, TestRepo } from "../support/repo";
import { removeInstance, testInstance, waitFor } from "../support/swarm";
import { freePort, httpGet } from "../harness";

// sites.example is what `npm run demo` applies: on the harness's images every example site must
// answer through Varnish and every example cron must succeed. Each site is renamed into this
// test's namespace; everything else (health paths, crons, databases, domains) is the example's.
const docker = new Docker();
const instance = testInstance("ex");
const example = path.join(__dirname, "../../sites.example");
const exampleSites = readdirSync(path.join(example, "sites")).filter((f) => f.endsWith(".yaml")).map((f) => f.replace(/\.yaml$/, "")).sort();
const renamed = (name: string) => `${instance}-${name}`;
let port = 0;
let stateDir = "";
let repo: TestRepo;

function get(host: string): Promise<{ status: number; body: string }> {
  return httpGet("127.0.0.1", port, "/", { Host: host }, 10_000);
}

function exampleFile(file: string): string {
  return readFileSync(path.join(example, file), "utf8");
}

async function exampleLoaded() {
  const load = await loadRepo(repo.dir);
  expect(load.errors).toEqual([]);
  return load.sites;
}

beforeAll(async () => {
  port = await freePort();
  stateDir = mkdtempSync(path.join(os.tmpdir(), "simulium-state-"));
  const cluster = exampleFile("simulium.yaml").replace(/^  instance: demo$/m, `  instance: ${instance}`).replace(/^    port: 8080$/m, `    port: ${port}`);
  expect(cluster).toContain(`instance: ${instance}`);
  expect(cluster).toContain(`port: ${port}`);
  const files: Record<string, string> = { "simulium.yaml": cluster };
  for (const name of exampleSites) {
    const text = exampleFile(`sites/${name}.yaml`).replace(/^  name: (\S+)$/m, (_, n: string) => `  name: ${renamed(n)}`);
    // Domains are per instance (its own Varnish): the example's stay, a demo beside this test keeps its own.
    files[`sites/${renamed(name)}.yaml`] = text;
  }
  repo = await createRepo(files);
  await repo.commit("the example manifests");
});

afterAll(async () => {
  await removeInstance(docker, instance);
  repo?.cleanup();
  if (stateDir) rmSync(stateDir, { recursive: true, force: true });
});

test("every example site answers 200 through Varnish on every domain, and status agrees", async () => {
  expect(exampleSites.length).toBeGreaterThanOrEqual(2);
  const applied = await cli("apply", "--repo", repo.dir, "--state-dir", stateDir, "--yes");
  expect(applied.code).toBe(0);
  const sites = await exampleLoaded();
  // Environments (spec.environments) are sites of their own: they answer on their domains too.
  expect(sites.filter((s) => !s.environment).map((s) => s.name)).toEqual(exampleSites.map(renamed));
  expect(sites.filter((s) => s.environment).map((s) => s.name)).toEqual([`${renamed("brasserie")}--staging`]);
  for (const site of sites) {
    for (const domain of site.domains) {
      const page = await waitFor(async () => {
        const r = await get(domain);
        return r.status === 200 ? r : undefined;
      }, `${domain} to answer 200 through Varnish`, 120_000, 1000);
      expect(page.body).toContain(`site: ${site.name}`);
    }
  }
  // A fresh VCL starts every backend healthy (.initial = threshold); a failing health path turns
  // it sick after three probes (10 s apart in the examples). Keep asking past that.
  const until = Date.now() + 35_000;
  while (Date.now() < until) {
    for (const site of sites) expect([site.name, (await get(site.domains[0]!)).status]).toEqual([site.name, 200]);
    await new Promise((r) => setTimeout(r, 2000));
  }
  const status = await cli("status", "--repo", repo.dir, "--state-dir", stateDir, "--json");
  const reported = (JSON.parse(status.out) as { sites: { site: string; state: string; routing?: { healthy: number; sick: number } }[] }).sites;
  expect(reported.map((s) => [s.site, s.state, s.routing?.sick])).toEqual(sites.map((s) => [s.name, "converged", 0]));
  expect(status.code).toBe(0);
});

test("every example cron succeeds on the harness's web image", async () => {
  const crons = (await exampleLoaded()).flatMap((site) => site.cron.map((c) => ({ site: site.name, name: c.name })));
  // The examples schedule Drupal's cron everywhere and CiviCRM's jobs on solidarity.
  expect(crons.map((c) => c.name)).toEqual(expect.arrayContaining(["drupal", "civicrm"]));
  for (const c of crons) {
    const r = await cli("cron", "run", c.site, c.name, "--repo", repo.dir);
    expect({ cron: `${c.site} ${c.name}`, code: r.code }).toEqual({ cron: `${c.site} ${c.name}`, code: 0 });
    expect(r.out).toMatch(c.name === "civicrm" ? /"is_error": 0/ : /Cron run completed/);
  }
});
