import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { LABEL } from "../../controller/desired/labels";
import { connectDocker } from "../../controller/engine/docker";
import { cli } from "../support/cli";
import { clusterYaml, siteYaml } from "../support/manifests";
import { quietLog, reconcileRepo } from "../support/reconcile";
import { createRepo, TestRepo } from "../support/repo";
import { siteSql, whenDatabaseAnswers } from "../support/site-sql";
import { execInService, removeInstance, testInstance, waitFor } from "../support/swarm";

/**
 * Environments on the real engine: a site with a row and a file gets a staging environment
 * (its own objects), `simulium sync --from prod --to staging` copies both through a backup and
 * a verified restore, sanitises, and from then on staging and production are independent;
 * production's services keep their Version.Index throughout (nothing of it is updated).
 */
const docker = connectDocker();
const instance = testInstance("env");
const site = `${instance}-a`;
const staging = `${site}--staging`;
const stateDir = mkdtempSync(path.join(os.tmpdir(), "simulium-env-"));
const FILES = "/var/www/html/files";
let repo: TestRepo;

const prodYaml = siteYaml(site, { database: true }) + `  backup: {schedule: "0 3 * * *", keep: 2}\n`;
const withStaging = prodYaml + `  environments:\n    - {name: staging, domains: [staging.${site}.test]}\n`;

async function inWeb(service: string, script: string): Promise<string> {
  const r = await execInService(docker, `${service}_web`, ["sh", "-c", script]);
  if (r.exitCode !== 0) throw new Error(`${script} exited ${r.exitCode}: ${r.output}`);
  return r.output;
}

const rows = (s: string) => inWeb(s, siteSql("SELECT id, body FROM notes ORDER BY id"));
const files = (s: string) => inWeb(s, `cd ${FILES} && find . -type f | sort | xargs -r md5sum`);

/** Version.Index of every service of production: an update of any of them moves it. */
async function prodVersions(): Promise<Record<string, number>> {
  const services = await docker.listServices({ filters: { label: [`${LABEL.instance}=${instance}`, `${LABEL.site}=${site}`] } });
  return Object.fromEntries(services.map((s) => [s.Spec?.Name ?? "", s.Version?.Index ?? -1]));
}

async function sync(...args: string[]) {
  const err = jest.spyOn(process.stderr, "write").mockImplementation(() => true);
  try {
    return await cli("sync", site, ...args, "--repo", repo.dir, "--state-dir", stateDir);
  } finally {
    err.mockRestore();
  }
}

let prodBefore: Record<string, number>;

beforeAll(async () => {
  repo = await createRepo({
    "simulium.yaml": clusterYaml(instance, `  backup: {image: "simulium/backup:local"}\n`),
    [`sites/${site}.yaml`]: prodYaml,
  });
  const out = await reconcileRepo(docker, repo.dir, await repo.commit("production"), { stateDir, log: quietLog });
  expect(out.result.ok).toBe(true);
  await whenDatabaseAnswers(docker, site, "CREATE TABLE IF NOT EXISTS notes (id INT PRIMARY KEY, body TEXT)");
  await inWeb(site, `${siteSql("INSERT INTO notes VALUES (1, 'production row')")} && echo production-file > ${FILES}/a.txt`);
  prodBefore = await prodVersions();
  expect(Object.keys(prodBefore).sort()).toEqual([`${site}_db`, `${site}_web`]);
}, 300_000);

afterAll(async () => {
  await removeInstance(docker, instance);
  repo?.cleanup();
  rmSync(stateDir, { recursive: true, force: true });
});

test("a staging environment is created as its own objects; production is not touched", async () => {
  repo.write(`sites/${site}.yaml`, withStaging);
  const out = await reconcileRepo(docker, repo.dir, await repo.commit("staging"), { stateDir, log: quietLog });
  expect(out.result.ok).toBe(true);
  const services = await docker.listServices({ filters: { label: [`${LABEL.instance}=${instance}`, `${LABEL.site}=${staging}`] } });
  expect(services.map((s) => s.Spec?.Name).sort()).toEqual([`${staging}_db`, `${staging}_web`]);
  const volumes = (await docker.listVolumes({ filters: { label: [`${LABEL.site}=${staging}`] } })).Volumes.map((v) => v.Name).sort();
  expect(volumes).toEqual([`${staging}_db-data`, `${staging}_files`]);
  // Its own secret values: the staging database password is not production's.
  const own = (await inWeb(staging, "cat /run/secrets/db-password")).trim();
  expect(own.length).toBeGreaterThan(20);
  expect(own).not.toBe((await inWeb(site, "cat /run/secrets/db-password")).trim());
  expect(await inWeb(staging, "printenv SIMULIUM_MAIL_SINK")).toBe("1\n");
  await whenDatabaseAnswers(docker, staging, "SELECT 1");
  expect(await prodVersions()).toEqual(prodBefore);
}, 300_000);

test("sync into production is refused without --into-production, before anything runs", async () => {
  await expect(sync("--from", "staging", "--to", "prod")).rejects.toThrow(/add --into-production/);
  expect(await prodVersions()).toEqual(prodBefore);
});

test("sync --from prod --to staging: staging shows production's row and file, sanitised; production keeps its Version.Index", async () => {
  const sanitise = `${siteSql("UPDATE notes SET body = CONCAT(body, ' (sanitised)')")} && echo yes > ${FILES}/sanitised.txt`;
  const r = await sync("--from", "prod", "--to", "staging", "--sanitise", sanitise);
  expect(r.code).toBe(0);
  expect(r.out).toContain(`${staging} now has the database and files of ${site}`);
  expect(r.out).toContain(", sanitised");
  const got = await waitFor(() => rows(staging).catch(() => undefined), "staging to serve after the sync", 120_000, 2000);
  expect(got).toBe("1\tproduction row (sanitised)\n");
  expect(await inWeb(staging, `cat ${FILES}/a.txt ${FILES}/sanitised.txt`)).toBe("production-file\nyes\n");
  // Production: its data as it was, no sanitisation, no service updated (the backup only read it).
  expect(await rows(site)).toBe("1\tproduction row\n");
  expect(await files(site)).not.toContain("sanitised.txt");
  expect(await prodVersions()).toEqual(prodBefore);
}, 600_000);

test("a sanitisation that fails keeps staging's web stopped, through reconciles, until a sync whose sanitisation succeeds", async () => {
  await expect(sync("--from", "prod", "--to", "staging", "--sanitise", "exit 3")).rejects.toThrow(/NOT sanitised/);
  const held = async () => {
    const spec = (await docker.getService(`${staging}_web`).inspect()).Spec as { Mode?: { Replicated?: { Replicas?: number } }; Labels?: Record<string, string> };
    return { replicas: spec.Mode?.Replicated?.Replicas, hold: spec.Labels?.[LABEL.maintenance] ?? null };
  };
  expect(await held()).toEqual({ replicas: 0, hold: expect.stringContaining("sanitisation failed") });
  // The daemon's next pass (or anyone's apply) must not serve the unsanitised copy.
  const out = await reconcileRepo(docker, repo.dir, await repo.commit("a pass while held"), { stateDir, log: quietLog });
  expect(out.result.ok).toBe(true);
  expect(await held()).toEqual({ replicas: 0, hold: expect.stringContaining("sanitisation failed") });

  const sanitise = siteSql("UPDATE notes SET body = CONCAT(body, ' (sanitised)')");
  const r = await sync("--from", "prod", "--to", "staging", "--sanitise", sanitise);
  expect(r.code).toBe(0);
  expect(await held()).toEqual({ replicas: 1, hold: null });
  const got = await waitFor(() => rows(staging).catch(() => undefined), "staging to serve after the sync", 120_000, 2000);
  expect(got).toBe("1\tproduction row (sanitised)\n");
  expect(await prodVersions()).toEqual(prodBefore);
}, 600_000);

test("a change in staging does not touch production, and a second pass changes nothing", async () => {
  const prodFiles = await files(site);
  await inWeb(staging, `${siteSql("INSERT INTO notes VALUES (2, 'staging only'); DELETE FROM notes WHERE id = 1")} && echo staging > ${FILES}/b.txt && rm ${FILES}/a.txt`);
  expect(await rows(staging)).toBe("2\tstaging only\n");
  expect(await rows(site)).toBe("1\tproduction row\n");
  expect(await files(site)).toBe(prodFiles);
  const again = await reconcileRepo(docker, repo.dir, await repo.commit("again"), { stateDir, log: quietLog });
  expect(again.mutations).toBe(0);
  expect(await prodVersions()).toEqual(prodBefore);
}, 300_000);

/**
 * `seed:` on an environment added later: the apply that creates it loads production's latest
 * backup (the sync above made one) and sanitises it; an environment seeded from one that was
 * never backed up starts empty and the apply says so; the next apply creates nothing, so it
 * seeds nothing (a row changed in the environment stays).
 */
const qa = `${site}--qa`;
const dev = `${site}--dev`;
const withSeeded =
  withStaging +
  `    - {name: qa, domains: [qa.${site}.test], seed: {sanitise: ${JSON.stringify(siteSql("UPDATE notes SET body = CONCAT(body, ' (qa)')"))}}}\n` +
  `    - {name: dev, domains: [dev.${site}.test], seed: {from: staging}}\n`;

async function apply() {
  const err = jest.spyOn(process.stderr, "write").mockImplementation(() => true);
  try {
    return await cli("apply", "--repo", repo.dir, "--state-dir", stateDir, "--yes");
  } finally {
    err.mockRestore();
  }
}

test("an environment added with seed: the apply that creates it loads production's latest backup, sanitised; one seeded from an environment never backed up starts empty and says so", async () => {
  repo.write(`sites/${site}.yaml`, withSeeded);
  await repo.commit("qa and dev, seeded");
  const r = await apply();
  expect(r.out).toMatch(new RegExp(`${qa} +seeded: seeded from ${site}'s backup run \\S+, sanitised`));
  expect(r.out).toMatch(new RegExp(`${dev} +empty: not seeded: ${staging} has no backup yet: ${dev} starts empty`));
  expect(r.code).toBe(0);
  const got = await waitFor(() => rows(qa).catch(() => undefined), "qa to serve after its seed", 120_000, 2000);
  expect(got).toBe("1\tproduction row (qa)\n");
  expect(await inWeb(qa, `cat ${FILES}/a.txt`)).toBe("production-file\n");
  await whenDatabaseAnswers(docker, dev, "SELECT 1");
  expect(await inWeb(dev, siteSql("SHOW TABLES"))).toBe("");
  expect(await rows(site)).toBe("1\tproduction row\n");
  expect(await prodVersions()).toEqual(prodBefore);
}, 600_000);

test("the next apply does not seed again: a row changed in the seeded environment stays", async () => {
  await inWeb(qa, siteSql("UPDATE notes SET body = 'changed in qa'"));
  await repo.commit("again");
  const r = await apply();
  expect(r.code).toBe(0);
  expect(r.out).not.toMatch(/seeded|not seeded/);
  expect(await rows(qa)).toBe("1\tchanged in qa\n");
}, 300_000);
