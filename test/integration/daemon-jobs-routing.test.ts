import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { DaemonStatus, RunningDaemon } from "../../controller/daemon/daemon";
import { startTestDaemon } from "../support/daemon";
import type { ApiService } from "../../controller/engine/api-types";
import { connectDocker } from "../../controller/engine/docker";
import { cli } from "../support/cli";
import { clusterYaml, siteYaml } from "../support/manifests";
import { writeFiles } from "../support/repo";
import { removeInstance, testInstance, waitFor } from "../support/swarm";
import { freePort, httpGet } from "../harness";

/**
 * The daemon with jobs around: job containers' events cost no reconcile (a web task's do,
 * as a routing-only sync); crons run in the web service as it runs (after a rolled-back
 * update, the old version), and an invalid manifest keeps the site's crons going.
 */
const docker = connectDocker();
const instance = testInstance("djr");
const site = `${instance}-j`;
const domain = `${site}.test`;
const root = mkdtempSync(path.join(os.tmpdir(), "simulium-djr-"));
const dir = path.join(root, "manifests");
let port = 0;
let daemon: RunningDaemon;

const CRON = `  cron:\n    - {name: ver, schedule: "*/3 * * * * *", command: [sh, -c, "echo version $SITE_VERSION"], timeout: 60}\n`;
const manifest = (o: { version?: string; image?: string } = {}) => siteYaml(site, { volumes: false, replicas: 1, ...o }) + CRON;

function varnishStatus(): Promise<number> {
  return httpGet("127.0.0.1", port, "/", { Host: domain }, 10_000).then((r) => r.status);
}

const status = (): DaemonStatus => daemon.status();
const cronRuns = () => status().sites.find((s) => s.site === site)?.cron.find((c) => c.name === "ver")?.runs ?? [];

/** Waits for the run a file change causes (directory mode) and returns it. */
async function runAfter(since: string): Promise<NonNullable<DaemonStatus["lastRun"]>> {
  return waitFor(async () => {
    const r = status().lastRun;
    return r && r.at > since ? r : undefined;
  }, "the daemon's run after the change", 300_000, 500);
}

beforeAll(async () => {
  port = await freePort();
  writeFiles(dir, { "simulium.yaml": clusterYaml(instance, `  varnish: {image: "simulium/varnish:local", port: ${port}}\n`), [`sites/${site}.yaml`]: manifest() });
  daemon = await startTestDaemon({
    repo: dir,
    stateDir: path.join(root, "state"),
    docker,
    debounceMs: 200,
  });
  await waitFor(async () => (status().lastRun?.ok ? true : undefined), "the first reconcile", 300_000, 500);
  await waitFor(async () => ((await varnishStatus()) === 200 ? true : undefined), "the site through Varnish", 120_000, 500);
});

afterAll(async () => {
  await daemon?.stop();
  await removeInstance(docker, instance);
  rmSync(root, { recursive: true, force: true });
});

test("jobs cause no reconcile and no routing sync; a replaced web task causes a routing sync only", async () => {
  await daemon.idle();
  const before = status().lastRun;
  const routingBefore = status().lastRouting;
  // Three execs, and the cron's runs every 3 s meanwhile: each a job container starting and dying.
  for (let i = 0; i < 3; i++) expect((await cli("exec", site, "--repo", dir, "--", "true")).code).toBe(0);
  await waitFor(async () => (cronRuns().length >= 2 ? true : undefined), "two cron runs", 120_000, 500);
  await new Promise((r) => setTimeout(r, 2000));
  await daemon.idle();
  expect(status().lastRun).toEqual(before);
  expect(status().lastRouting).toEqual(routingBefore);

  // A web task replaced (as Swarm does when it reschedules one): new task, new address.
  const web = (await docker.getService(`${site}_web`).inspect()) as ApiService;
  const spec = web.Spec ?? {};
  await docker.getService(`${site}_web`).update({ ...spec, TaskTemplate: { ...spec.TaskTemplate, ForceUpdate: ((spec.TaskTemplate as { ForceUpdate?: number })?.ForceUpdate ?? 0) + 1 }, version: web.Version?.Index ?? 0 });
  const synced = await waitFor(async () => {
    const r = status().lastRouting;
    return r && r !== routingBefore && r.at !== routingBefore?.at && r.reason.split(", ").every((x) => x === "tasks") ? r : undefined;
  }, "a routing sync after the task events", 120_000, 500);
  expect(synced).toMatchObject({ ok: true, varnishTasks: 1 });
  await waitFor(async () => ((await varnishStatus()) === 200 ? true : undefined), "the new task through Varnish", 60_000, 500);
  await daemon.idle();
  expect(status().lastRun).toEqual(before);
});

test("after Swarm rolled a web update back, crons run in the version that serves", async () => {
  const since = new Date().toISOString();
  writeFiles(dir, { [`sites/${site}.yaml`]: manifest({ version: "2", image: "simulium/web:does-not-exist" }) });
  const run = await runAfter(since);
  expect(status().sites.find((s) => s.site === site)?.state).toBe("failed");
  const after = run.at;
  const ran = await waitFor(async () => cronRuns().find((r) => r.startedAt > after), "a cron run after the rollback", 120_000, 500);
  expect(ran).toMatchObject({ result: "success", exitCode: 0, output: "version 1" });
});

test("a site whose manifest turns invalid keeps its crons", async () => {
  const since = new Date().toISOString();
  writeFiles(dir, { [`sites/${site}.yaml`]: `apiVersion: simulium/v1\nkind: Site\nmetadata: {name: ${site}}\nspec: [not, a, mapping\n` });
  const run = await runAfter(since);
  expect(status().sites.find((s) => s.site === site)?.state).toBe("invalid");
  expect(status().sites.find((s) => s.site === site)?.cron.map((c) => c.name)).toEqual(["ver"]);
  const ran = await waitFor(async () => cronRuns().find((r) => r.startedAt > run.at), "a cron run while the manifest is invalid", 120_000, 500);
  expect(ran).toMatchObject({ result: "success", output: "version 1" });
});
