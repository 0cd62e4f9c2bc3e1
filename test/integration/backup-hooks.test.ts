import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { listRuns } from "../../controller/backup/run";
import { loadBackupTarget } from "../../controller/backup/target";
import { connectDocker } from "../../controller/engine/docker";
import { clusterYaml, siteYaml } from "../support/manifests";
import { siteSql, whenDatabaseAnswers } from "../support/site-sql";
import { page, reconcileRepo, waitForPage } from "../support/reconcile";
import { createRepo, TestRepo } from "../support/repo";
import { execInService, removeInstance, testInstance, waitFor } from "../support/swarm";

/**
 * `backup: true` before a deploy and `restoreOnFailure` on the real engine: a failing
 * postDeploy migration puts the previous web spec and the pre-deploy database back.
 */
const docker = connectDocker();
const instance = testInstance("bhk");
const site = `${instance}-h`;
const stateDir = mkdtempSync(path.join(os.tmpdir(), "simulium-backup-hooks-"));
let repo: TestRepo;

const SQL = siteSql;
// The migration changes data and then fails: what restoreOnFailure must undo.
const MIGRATION = `${SQL("INSERT INTO notes VALUES ('migrated to $SITE_VERSION')")}; echo migration broke; exit 5`;

function manifest(version: string): string {
  return (
    siteYaml(site, { database: true, volumes: false, version }) +
    ["  hooks:", "    preDeploy:", "      - backup: true", "    postDeploy:", `      - command: [sh, -c, ${JSON.stringify(MIGRATION)}]`, "    restoreOnFailure: true", ""].join("\n")
  );
}

const notes = async (): Promise<string> => {
  const r = await execInService(docker, `${site}_web`, ["sh", "-c", SQL("SELECT body FROM notes ORDER BY body")]);
  if (r.exitCode !== 0) throw new Error(`query failed: ${r.output}`);
  return r.output.trim();
};

beforeAll(async () => {
  repo = await createRepo({ "simulium.yaml": clusterYaml(instance, `  backup: {image: "simulium/backup:local"}\n`), [`sites/${site}.yaml`]: manifest("1") });
  const out = await reconcileRepo(docker, repo.dir, await repo.commit("v1"), { stateDir });
  expect(out.result.ok).toBe(true);
  await whenDatabaseAnswers(docker, site, "CREATE TABLE IF NOT EXISTS notes (body VARCHAR(100)); INSERT INTO notes VALUES ('written by v1')");
});

afterAll(async () => {
  await removeInstance(docker, instance);
  repo?.cleanup();
  rmSync(stateDir, { recursive: true, force: true });
});

test("a failed postDeploy restores the pre-deploy backup's database and the previous web spec, and is not retried", async () => {
  repo.write(`sites/${site}.yaml`, manifest("2"));
  const commit = await repo.commit("v2 with a broken migration");
  const out = await reconcileRepo(docker, repo.dir, commit, { stateDir });
  const outcome = out.result.sites.find((s) => s.site === site);
  expect(outcome?.state).toBe("failed");
  expect(outcome?.error).toMatch(/postDeploy .* failed with exit code 5: migration broke/);
  expect(outcome?.error).toMatch(/restoreOnFailure: web rolled back to simulium\/web:local, database restored from backup run \S+/);

  await waitForPage(docker, `${site}_web`, /version: 1/);
  expect(await waitFor(() => notes().catch(() => undefined), "the restored database")).toBe("written by v1");

  const runs = await listRuns(docker, await loadBackupTarget({ repo: repo.dir, stateDir }, site));
  expect(runs).toHaveLength(1);
  expect(runs[0]?.commit).toBe(commit);

  // Held like a rolled-back update: no second backup, no second migration.
  const again = await reconcileRepo(docker, repo.dir, await repo.commit("retry by timer"), { stateDir });
  expect(again.result.sites.find((s) => s.site === site)).toMatchObject({ state: "failed", error: expect.stringMatching(/update held/) });
  expect(await page(docker, `${site}_web`)).toMatch(/version: 1/);
  expect(await notes()).toBe("written by v1");
  expect(await listRuns(docker, await loadBackupTarget({ repo: repo.dir, stateDir }, site))).toHaveLength(1);
});
