import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import type { ApiTask } from "../../controller/engine/api-types";
import { connectDocker } from "../../controller/engine/docker";
import { cli } from "../support/cli";
import { clusterYaml, siteYaml } from "../support/manifests";
import { reconcileRepo, waitForPage } from "../support/reconcile";
import { whenDatabaseAnswers } from "../support/site-sql";
import { createRepo, TestRepo } from "../support/repo";
import { removeInstance, testInstance, waitFor } from "../support/swarm";
import { freePort, httpGet } from "../harness";

/**
 * restore and import scale web to 0 and back: its new task has a new address. Both commands
 * re-sync routing before they return, so the site answers through Varnish right away, with
 * no apply in between (before, it answered 503 until some later apply).
 */
const docker = connectDocker();
const instance = testInstance("mvrt");
const site = `${instance}-m`;
const web = `${site}_web`;
const domain = `${site}.test`;
const stateDir = mkdtempSync(path.join(os.tmpdir(), "simulium-moved-"));
let port = 0;
let repo: TestRepo;

/** A request through Varnish on loopback, for the site's domain. */
function status(): Promise<number> {
  return httpGet("127.0.0.1", port, "/", { Host: domain }, 10_000).then((r) => r.status);
}

const webTaskIds = async (): Promise<string[]> =>
  ((await docker.listTasks({ filters: { service: [web], "desired-state": ["running"] } })) as ApiTask[]).map((t) => t.ID).sort();

beforeAll(async () => {
  port = await freePort();
  repo = await createRepo({
    "simulium.yaml": clusterYaml(instance, `  varnish: {image: "simulium/varnish:local", port: ${port}}\n  backup: {image: "simulium/backup:local"}\n`),
    [`sites/${site}.yaml`]: siteYaml(site, { database: true, replicas: 1 }) + `  backup: {schedule: "0 3 * * *", keep: 2}\n`,
  });
  const out = await reconcileRepo(docker, repo.dir, await repo.commit("site"), { stateDir });
  expect(out.result.ok).toBe(true);
  await waitForPage(docker, web, /db: ok/, 180_000);
  // A restore refuses a dump without tables.
  await whenDatabaseAnswers(docker, site, "CREATE TABLE IF NOT EXISTS notes (id INT PRIMARY KEY)");
  await waitFor(async () => (await status()) === 200, "the site to answer through Varnish", 120_000, 500);
});

afterAll(async () => {
  await removeInstance(docker, instance);
  repo?.cleanup();
  rmSync(stateDir, { recursive: true, force: true });
});

test("after simulium restore returns, the site answers through Varnish (its new task is routed)", async () => {
  const backedUp = await cli("backup", site, "--repo", repo.dir, "--state-dir", stateDir);
  expect(backedUp.code).toBe(0);
  const before = await webTaskIds();

  const restored = await cli("restore", site, "--from", "latest", "--repo", repo.dir, "--state-dir", stateDir);
  expect(restored.code).toBe(0);
  expect(await status()).toBe(200);
  expect(restored.out).toMatch(/^routing: VCL [0-9a-f]{12} loaded on 1 Varnish task\(s\)$/m);
  // It is a new task indeed: the old address is gone.
  expect(await webTaskIds()).not.toEqual(before);
});

test("after simulium import returns, the site answers through Varnish", async () => {
  const dump = path.join(stateDir, "dump.sql");
  writeFileSync(dump, "CREATE TABLE imported (id INT PRIMARY KEY);\nINSERT INTO imported VALUES (1);\n");
  const before = await webTaskIds();

  const imported = await cli("import", site, "--db", dump, "--image", "simulium/backup:local", "--repo", repo.dir, "--state-dir", stateDir, "--timeout", "300");
  expect(imported.code).toBe(0);
  expect(await status()).toBe(200);
  expect(imported.out).toMatch(/^routing: VCL [0-9a-f]{12} loaded on 1 Varnish task\(s\)$/m);
  expect(await webTaskIds()).not.toEqual(before);
});
