import Docker from "dockerode";
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { execIn, taskContainerId } from "../harness/exec";
import { cli } from "../support/cli";
import { clusterYaml, siteYaml } from "../support/manifests";
import { createRepo, TestRepo } from "../support/repo";
import { removeInstance, testInstance, waitFor } from "../support/swarm";
import { freePort, httpGet } from "../harness";
import { readLive } from "../../controller/live/read";
import { adminHost, instanceAdminRoute } from "../../controller/routing/admin-address";
import { readVarnishSecret } from "../../controller/routing/admin-secret";
import { runningTasksOf } from "../../controller/routing/vcl-input-from";
import { connectVarnishAdmin } from "../../controller/varnish/admin";
import { VARNISH_ADMIN_PORT } from "../../controller/routing/sync";
import { loadSplitVcl } from "../../controller/varnish/load-split";
import { groupCount, groupLabel, renderSplitVcl } from "../../controller/varnish/vcl-split";
import type { VclSite } from "../../controller/varnish/vcl";

// A Varnish task that starts while no controller runs (crash, node reboot, rescheduling) routes
// with the last VCL the controller made active: the image keeps it in <instance>_varnish-state.
// The controller is this test process: between the kills below it is simply never called.
const docker = new Docker();
const instance = testInstance("vk");
const site = `${instance}-a`;
const varnish = `${instance}_varnish`;
const kept = "/var/lib/simulium-vcl/active.vcl";
const keptLabels = "/var/lib/simulium-vcl/labels";
let port = 0;
let stateDir = "";
let repo: TestRepo;

function get(host: string): Promise<{ status: number; body: string }> {
  return httpGet("127.0.0.1", port, "/", { Host: host }, 10_000);
}

async function apply(): Promise<void> {
  const r = await cli("apply", "--repo", repo.dir, "--state-dir", stateDir, "--yes");
  expect(r.code).toBe(0);
}

/** The answer through Varnish once a Varnish task listens again (connection errors while it starts). */
function answer(host: string, wanted: (r: { status: number; body: string }) => boolean, what: string) {
  return waitFor(async () => {
    // Thrown, not returned: a timeout then says what the last answer was.
    const r = await get(host).catch((err: unknown) => {
      throw new Error(`no answer: ${err instanceof Error ? err.message : String(err)}`);
    });
    if (!wanted(r)) throw new Error(`answered ${r.status}: ${/<title>([^<]*)<\/title>/.exec(r.body)?.[1] ?? r.body.slice(0, 120)} ${/<p>([^<]*)<\/p>/.exec(r.body)?.[1] ?? ""}`);
    return r;
  }, what, 120_000, 500);
}

/** Kills the running Varnish task's container (as a crash would) and waits for Swarm's new task. */
async function killVarnish(): Promise<string> {
  const before = await taskContainerId(docker, varnish);
  await docker.getContainer(before).kill();
  return waitFor(async () => {
    const now = await taskContainerId(docker, varnish).catch(() => undefined);
    return now !== undefined && now !== before ? now : undefined;
  }, "Swarm to start a new Varnish task", 120_000, 500);
}

async function keptVcl(container: string): Promise<string> {
  const r = await execIn(docker, container, ["cat", kept]);
  return r.exitCode === 0 ? r.stdout : "";
}

/** The kept VCL of the site's group label (one group of sites per VCL, vcl-split.ts; one site: one group). */
async function keptSiteVcl(container: string): Promise<string> {
  const r = await execIn(docker, container, ["cat", `${keptLabels}/${groupLabel(0, 1)}.vcl`]);
  return r.exitCode === 0 ? r.stdout : "";
}

/** Kept routing for the site: the top-level VCL hands its domain to its label, whose VCL has a backend for it. */
const routes = async (container: string): Promise<boolean> =>
  (await keptVcl(container)).includes(`"${site}.test"`) && /^backend b_/m.test(await keptSiteVcl(container));

/** Whether the keeper of this task has saved the routing it runs (it logs each save). Until it has,
 *  its first save may still come and overwrite a file this test writes. */
async function keeperSaved(container: string): Promise<boolean> {
  const logs = await docker.getContainer(container).logs({ stdout: true, stderr: true, follow: false });
  return logs.toString("utf8").includes("[vcl-keeper] kept the active VCL");
}

async function activeVcl(container: string): Promise<string> {
  const r = await execIn(docker, container, ["varnishadm", "vcl.list"]);
  return /^active\s+\S+\s+\S+\s+\S+\s+(\S+)/m.exec(r.stdout)?.[1] ?? "";
}

beforeAll(async () => {
  port = await freePort();
  stateDir = mkdtempSync(path.join(os.tmpdir(), "simulium-state-"));
  repo = await createRepo({
    "simulium.yaml": clusterYaml(instance, `  varnish: {image: "simulium/varnish:local", port: ${port}}\n`),
    // The manifest's default health check (10 s, 5 s timeout): with no controller running to move
    // the VCL, a web task replaced for a slow check on a busy machine would leave a stale backend.
    [`sites/${site}.yaml`]: siteYaml(site, { volumes: false, healthInterval: null }),
  });
  await repo.commit("one site behind Varnish");
});

afterAll(async () => {
  await removeInstance(docker, instance);
  repo?.cleanup();
  if (stateDir) rmSync(stateDir, { recursive: true, force: true });
});

test("a Varnish task restarted without the controller routes with the last VCL, twice, and a broken kept VCL falls back", async () => {
  await apply();
  await answer(`${site}.test`, (r) => r.status === 200 && r.body.includes(`site: ${site}`), `${site} through Varnish`);
  const first = await taskContainerId(docker, varnish);
  // The image keeps the active VCL within its poll interval (1 s). The one that routes: an
  // earlier VCL of this apply (the site declared, its task not yet running) names the domain too.
  await waitFor(async () => (await routes(first)) || undefined, "the active VCL to be kept", 30_000, 500);
  const controllers = await activeVcl(first);

  // Crash: no apply, no routing sync. The new task starts with the kept VCLs, under the names
  // the controller gave them (so its next sync finds nothing to change), not the placeholder.
  const second = await killVarnish();
  await answer(`${site}.test`, (r) => r.status === 200 && r.body.includes(`site: ${site}`), `${site} through the restarted Varnish`);
  expect(await activeVcl(second)).toBe(controllers);
  expect(controllers).toMatch(/^s_[0-9a-f]{12}/);

  // The controller comes back (nothing to load: the routing is the kept one); a second crash still routes.
  await apply();
  const third = await killVarnish();
  await answer(`${site}.test`, (r) => r.status === 200 && r.body.includes(`site: ${site}`), `${site} after a second restart`);
  expect(await activeVcl(third)).toBe(controllers);

  // A kept VCL that does not compile never stops Varnish: it starts on the placeholder, and the
  // controller's next apply routes again and replaces the kept file. The keeper of this task
  // saves the routing it booted with on its first poll: the broken file is written after that
  // save, or the save would replace it (a busy machine polls late).
  await waitFor(async () => (await keeperSaved(third)) || undefined, "the restarted task's keeper to save its routing", 30_000, 500);
  expect((await execIn(docker, third, ["sh", "-c", `echo 'vcl 4.1; this is not VCL' > ${kept}`])).exitCode).toBe(0);
  const fourth = await killVarnish();
  const placeholder = await answer(`${site}.test`, (r) => r.status === 503, "the placeholder's 503");
  expect(placeholder.body).toContain("no configuration loaded yet");
  await apply();
  await answer(`${site}.test`, (r) => r.status === 200 && r.body.includes(`site: ${site}`), `${site} after the controller's apply`);
  await waitFor(async () => (await keptVcl(fourth)).includes(`"${site}.test"`) || undefined, "the new VCL to be kept", 30_000, 500);
});

test("at 100 sites, a killed Varnish task serves every site again within seconds (the kept group VCLs: few compiles)", async () => {
  const SITES = 100;
  const container = await taskContainerId(docker, varnish);
  // The site's web task, as the kept VCL names it: every synthetic site's backend.
  const backend = /\.host = "([0-9.]+)";\s*\.port = "([0-9]+)";/.exec(await keptSiteVcl(container));
  expect(backend).not.toBeNull();
  const sites: VclSite[] = Array.from({ length: SITES }, (_, i) => ({
    name: `x${i}`,
    domains: [`x${i}.test`],
    backends: [{ host: backend?.[1] ?? "", port: Number(backend?.[2]) }],
    healthcheck: { path: "/", interval: 5, timeout: 2 },
    purgers: [],
  }));
  // What the controller would load for 100 sites (it is this test process, and stays away).
  const live = await readLive(docker, instance);
  const task = runningTasksOf(varnish, live)[0];
  const host = task === undefined ? undefined : adminHost(await instanceAdminRoute(docker, instance, live), task);
  expect(host).toBeDefined();
  const admin = await connectVarnishAdmin({ host: host ?? "", port: VARNISH_ADMIN_PORT, secret: readVarnishSecret(stateDir, instance) });
  try {
    const r = await loadSplitVcl(admin, renderSplitVcl({ sites, mode: "dnsrr" }));
    expect(r.failed).toEqual([]);
    expect(r.relabelled).toHaveLength(groupCount(SITES));
  } finally {
    admin.close();
  }
  const all = () => Promise.all(sites.map((s) => get(s.domains[0] ?? "").catch(() => ({ status: 0, body: "" }))));
  expect((await all()).every((r) => r.status === 200)).toBe(true);
  await waitFor(async () => {
    const r = await execIn(docker, container, ["sh", "-c", `ls ${keptLabels}/*.vcl | wc -l; grep -c 'x99.test' ${kept}`]);
    return r.stdout.trim().split(/\s+/).join(" ") === `${groupCount(SITES)} 1` || undefined;
  }, "the 100 sites' VCLs to be kept", 30_000, 500);

  const killed = Date.now();
  const restarted = await killVarnish();
  const started = Date.now();
  await waitFor(async () => (await all()).every((r) => r.status === 200 && r.body.includes(`site: ${site}`)) || undefined, "every site served by the restarted Varnish", 120_000, 200);
  const served = Date.now();
  process.stderr.write(`[varnish-restart] ${SITES} sites: killed → new task ${((started - killed) / 1000).toFixed(1)} s, new task → every site served ${((served - started) / 1000).toFixed(1)} s (total ${((served - killed) / 1000).toFixed(1)} s)\n`);
  expect(await activeVcl(restarted)).toMatch(/^s_[0-9a-f]{12}/);
  // Seconds, not the minutes one VCL per site took (a quarter of a second each, one after the other).
  expect((served - started) / 1000).toBeLessThan(20);
}, 300_000);
