import Docker from "dockerode";
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { RunningDaemon } from "../../controller/daemon/daemon";
import { startTestDaemon } from "../support/daemon";
import { freePort, httpGet } from "../harness";
import { cli } from "../support/cli";
import { clusterYaml, siteYaml } from "../support/manifests";
import { createRepo, TestRepo } from "../support/repo";
import { removeInstance, testInstance, waitFor } from "../support/swarm";
import { writeApiToken } from "../support/api-token";

// `simulium status` asks Varnish: a site whose health path fails is served 503 by Varnish
// however well Swarm runs it, so it is `degraded`, not `converged`.
const docker = new Docker();
const instance = testInstance("rh");
const good = `${instance}-good`;
const sick = `${instance}-sick`;
let port = 0;
let stateDir = "";
let repo: TestRepo;
let daemon: RunningDaemon | undefined;

interface StatusJson {
  routingErrors?: string[];
  sites: { site: string; state: string; lastError: string | null; routing?: { healthy: number; sick: number; tasks: number; sickTasks: number } }[];
}

function statusThroughVarnish(host: string): Promise<number> {
  return httpGet("127.0.0.1", port, "/", { Host: host }, 10_000).then((r) => r.status);
}

/** The web image answers 404 on this path: Varnish's probe fails every second. */
function site(name: string, healthPath: string): string {
  return siteYaml(name, { volumes: false, healthInterval: null, web: [`healthcheck: {path: ${healthPath}, interval: 1, timeout: 1}`] });
}

async function status(): Promise<{ code: number; json: StatusJson }> {
  const r = await cli("status", "--repo", repo.dir, "--state-dir", stateDir, "--json");
  return { code: r.code, json: JSON.parse(r.out) as StatusJson };
}

const stateOf = (json: StatusJson, name: string) => json.sites.find((s) => s.site === name);

beforeAll(async () => {
  port = await freePort();
  stateDir = mkdtempSync(path.join(os.tmpdir(), "simulium-state-"));
  repo = await createRepo({
    "simulium.yaml": clusterYaml(instance, `  varnish: {image: "simulium/varnish:local", port: ${port}}\n`),
    [`sites/${good}.yaml`]: site(good, "/healthz.php"),
    [`sites/${sick}.yaml`]: site(sick, "/no-such-page"),
  });
  await repo.commit("two sites, one probed on a missing path");
});

afterAll(async () => {
  await daemon?.stop();
  await removeInstance(docker, instance);
  repo?.cleanup();
  if (stateDir) rmSync(stateDir, { recursive: true, force: true });
});

test("a site whose health path 404s is degraded, a healthy one converged; fixing the path makes it converged again", async () => {
  const applied = await cli("apply", "--repo", repo.dir, "--state-dir", stateDir, "--yes");
  expect(applied.code).toBe(0);

  // A fresh VCL starts its backends healthy (.initial): the probe needs a few failures.
  const degraded = await waitFor(async () => {
    const s = await status();
    return stateOf(s.json, sick)?.state === "degraded" ? s : undefined;
  }, `${sick} to be reported degraded`, 60_000, 1000);
  expect(degraded.code).toBe(1);
  expect(degraded.json.routingErrors).toEqual([]);
  expect(stateOf(degraded.json, sick)).toMatchObject({ lastError: "varnish reports every backend sick", routing: { healthy: 0, sick: 1, tasks: 1, sickTasks: 1 } });
  expect(stateOf(degraded.json, good)).toMatchObject({ state: "converged", lastError: null, routing: { healthy: 1, sick: 0, tasks: 1, sickTasks: 0 } });
  // What status says is what visitors get.
  expect(await statusThroughVarnish(`${sick}.test`)).toBe(503);
  expect(await statusThroughVarnish(`${good}.test`)).toBe(200);

  const table = await cli("status", "--repo", repo.dir, "--state-dir", stateDir);
  expect(table.out).toMatch(new RegExp(`${sick}\\s+degraded\\s+1/1\\s+\\S+\\s+varnish reports every backend sick`));
  expect(table.out).toMatch(new RegExp(`${good}\\s+converged\\s+1/1`));

  // Second pass: the path fixed, the site serves and status says so.
  repo.write(`sites/${sick}.yaml`, site(sick, "/healthz.php"));
  await repo.commit("probe a path the site serves");
  expect((await cli("apply", "--repo", repo.dir, "--state-dir", stateDir, "--yes")).code).toBe(0);
  const healed = await waitFor(async () => {
    const s = await status();
    return s.json.sites.every((x) => x.state === "converged" && x.routing?.healthy === 1) ? s : undefined;
  }, "both sites converged with a healthy backend", 60_000, 1000);
  expect(healed.code).toBe(0);
  expect(await statusThroughVarnish(`${sick}.test`)).toBe(200);
});

test("the daemon's /status reads Varnish too: degraded while the path fails, converged once it is fixed", async () => {
  repo.write(`sites/${sick}.yaml`, site(sick, "/no-such-page"));
  // /status and /metrics answer only with the daemon's bearer token.
  const api = writeApiToken(stateDir);
  daemon = await startTestDaemon({
    repo: repo.dir,
    stateDir,
    docker,
    debounceMs: 200,
    apiTokenFile: api.file,
  });
  const port = daemon.port;
  const sites = async () => {
    const r = await httpGet("127.0.0.1", port, "/status", api.headers);
    return (JSON.parse(r.body) as { routing: { errors: string[] } | null; sites: StatusJson["sites"] });
  };
  const degraded = await waitFor(async () => {
    const s = await sites();
    return stateOf(s, sick)?.state === "degraded" ? s : undefined;
  }, `/status to report ${sick} degraded`, 60_000, 1000);
  expect(degraded.routing?.errors).toEqual([]);
  expect(stateOf(degraded, sick)).toMatchObject({ lastError: "varnish reports every backend sick", routing: { healthy: 0, sick: 1 } });
  expect(stateOf(degraded, good)).toMatchObject({ state: "converged", routing: { healthy: 1, sick: 0 } });
  const metrics = await httpGet("127.0.0.1", port, "/metrics", api.headers);
  expect(metrics.body).toMatch(/simulium_sites\{state="degraded"\} 1/);

  repo.write(`sites/${sick}.yaml`, site(sick, "/healthz.php"));
  await waitFor(async () => {
    const s = await sites();
    return s.sites.every((x) => x.state === "converged") ? s : undefined;
  }, "/status to report both sites converged", 60_000, 1000);
});
