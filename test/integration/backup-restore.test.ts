import type Docker from "dockerode";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { StateStore } from "../../controller/state/store";
import { RestoreRefusedError, restoreSite } from "../../controller/backup/restore";
import { backupSite, BackupResult, checkRepository, listRuns, runResticJob } from "../../controller/backup/run";
import { EXIT, resticScript } from "../../controller/backup/scripts";
import { latestCandidates } from "../../controller/backup/snapshots";
import { runId } from "../../controller/backup/tags";
import { loadBackupTarget } from "../../controller/backup/target";
import { backupsVolumeName } from "../../controller/backup/names";
import { loadAndSwapScript } from "../../controller/database/load-swap";
import { LABEL } from "../../controller/desired/labels";
import type { ApiService } from "../../controller/engine/api-types";
import { connectDocker } from "../../controller/engine/docker";
import { cli } from "../support/cli";
import { clusterYaml, siteYaml } from "../support/manifests";
import { siteSql, whenDatabaseAnswers } from "../support/site-sql";
import { quietLog, reconcileRepo } from "../support/reconcile";
import { createRepo, TestRepo } from "../support/repo";
import { execIn } from "../harness/exec";
import { execInService, removeInstance, testInstance, waitFor } from "../support/swarm";

/**
 * Backups on the real engine with restic in the tools image: a round trip of rows and files,
 * retention, no secret in tags or output, and a damaged repository refused before the site is
 * touched (last: it breaks the repository).
 */
const docker = connectDocker();
const instance = testInstance("bak");
const site = `${instance}-b`;
const stateDir = mkdtempSync(path.join(os.tmpdir(), "simulium-backup-"));
let repo: TestRepo;

const SQL = siteSql;
const FILES = "/var/www/html/files";

async function inWeb(script: string): Promise<string> {
  const r = await execInService(docker, `${site}_web`, ["sh", "-c", script]);
  if (r.exitCode !== 0) throw new Error(`${script} exited ${r.exitCode}: ${r.output}`);
  return r.output;
}

/** The rows and the files (names, sizes, contents' checksums) as one comparable text. */
const snapshotOfSite = () => inWeb(`${SQL("SELECT id, body FROM notes ORDER BY id")}; cd ${FILES} && find . -type f | sort | xargs md5sum`);

const target = () => loadBackupTarget({ repo: repo.dir, stateDir }, site);
const backup = async (): Promise<BackupResult> => backupSite(docker, await target(), { commit: "c0ffee1234" });

beforeAll(async () => {
  repo = await createRepo({
    "simulium.yaml": clusterYaml(instance, `  backup: {image: "simulium/backup:local"}\n`),
    [`sites/${site}.yaml`]: siteYaml(site, { database: true }) + `  backup: {schedule: "0 3 * * *", keep: 2}\n`,
  });
  const out = await reconcileRepo(docker, repo.dir, await repo.commit("v1"), { stateDir });
  expect(out.result.ok).toBe(true);
  await whenDatabaseAnswers(docker, site, "CREATE TABLE IF NOT EXISTS notes (id INT PRIMARY KEY, body TEXT)");
});

afterAll(async () => {
  await removeInstance(docker, instance);
  repo?.cleanup();
  rmSync(stateDir, { recursive: true, force: true });
});

test("the backups volume and the restic password secret are the instance's, and a reconcile keeps them", async () => {
  const volume = await docker.getVolume(backupsVolumeName(instance)).inspect();
  expect(volume.Labels?.[LABEL.instance]).toBe(instance);
  const secrets = await docker.listSecrets({ filters: { label: [`${LABEL.instance}=${instance}`, `${LABEL.secret}=restic-password`] } });
  expect(secrets.map((s) => s.Spec?.Name)).toEqual([expect.stringMatching(new RegExp(`^${instance}_restic-password-[0-9a-f]{10}$`))]);
  const again = await reconcileRepo(docker, repo.dir, await repo.commit("no change"), { stateDir });
  expect(again.mutations).toBe(0);
});

test("round trip: rows and files backed up, deleted, restored identical; web comes back", async () => {
  await inWeb(`${SQL("INSERT INTO notes VALUES (1, 'first'), (2, 'second with ''quotes''')")} && mkdir -p ${FILES}/sub && echo hello > ${FILES}/a.txt && head -c 100000 /dev/urandom > ${FILES}/sub/blob.bin`);
  const before = await snapshotOfSite();
  expect(before).toContain("second with 'quotes'");

  const made = await backup();
  expect(made).toMatchObject({ ok: true, exitCode: 0 });
  expect(made.snapshots).toHaveLength(2);

  await inWeb(`${SQL("DELETE FROM notes WHERE id = 1")} && rm ${FILES}/a.txt && echo intruder > ${FILES}/new.txt`);
  expect(await snapshotOfSite()).not.toBe(before);

  const restored = await restoreSite(docker, await target(), { from: "latest", loadSwapScript: loadAndSwapScript(), log: quietLog });
  expect(restored.run.run).toBe(made.run);
  const web = (await docker.getService(`${site}_web`).inspect()) as ApiService;
  expect(web.Spec?.Mode?.Replicated?.Replicas).toBe(1);
  const after = await waitFor(() => snapshotOfSite().catch(() => undefined), "the restored site to serve", 120_000, 2000);
  expect(after).toBe(before);
});

test("retention keeps the newest runs: keep 2, three backups, the oldest is gone", async () => {
  const runs: string[] = [];
  for (let i = 0; i < 3; i++) {
    const r = await backup();
    expect(r.ok).toBe(true);
    runs.push(r.run);
  }
  const listed = await listRuns(docker, await target());
  expect(listed.map((r) => r.run)).toEqual([runs[2], runs[1]]);
  for (const r of listed) {
    expect(r.commit).toBe("c0ffee1234");
    expect(r.snapshots.map((s) => s.kind)).toEqual(["database", "volumes"]);
    expect(r.sizeBytes).toBeGreaterThan(100000);
  }
});

test("no secret in snapshot tags or job output", async () => {
  const resticPassword = readFileSync(new StateStore(stateDir, instance, "read-only").path("restic-password"), "utf8").trim();
  const dbPassword = (await inWeb("cat /run/secrets/db-password")).trim();
  const rootPassword = (await execInService(docker, `${site}_db`, ["cat", "/run/secrets/db-root-password"])).output.trim();
  expect(resticPassword.length).toBeGreaterThan(20);
  expect(dbPassword.length).toBeGreaterThan(20);
  let output = "";
  const r = await backupSite(docker, await target(), { onOutput: (t) => (output += t) });
  expect(r.ok).toBe(true);
  const listed = await listRuns(docker, await target());
  const visible = [output, r.message, JSON.stringify(r), JSON.stringify(listed)].join("\n");
  for (const secret of [resticPassword, dbPassword, rootPassword]) expect(visible).not.toContain(secret);
});

test("a periodic check passes on a sound repository", async () => {
  expect(await checkRepository(docker, await target())).toMatchObject({ ok: true });
});

test("a backup whose dump fails leaves no snapshot behind: latest is never a half run", async () => {
  const t = await target();
  const db = t.site.database;
  if (!db) throw new Error("the test site has a database");
  const before = (await listRuns(docker, t, { sizes: false })).map((r) => r.run);
  // mariadb-dump fails at once on a schema that does not exist, after restic opened the stream.
  const failed = await backupSite(docker, { ...t, site: { ...t.site, database: { ...db, name: "no_such_schema" } } });
  expect(failed).toMatchObject({ ok: false, exitCode: EXIT.databaseDump });
  expect(failed.message).toMatch(/the database dump failed/);
  const after = await listRuns(docker, t, { sizes: false });
  expect(after.map((r) => r.run)).not.toContain(failed.run);
  expect(after.map((r) => r.run)).toEqual(before);
});

test("another job's exclusive lock (a prune, a check) makes a listing and a backup wait, not fail", async () => {
  // CI found `simulium backups` failing on the scheduled backup's forget --prune lock.
  expect((await backup()).ok).toBe(true);
  const holder = await holdExclusiveLock();
  try {
    const said = { list: "", backup: "" };
    // Only the holder's lock: the backup's own prune may make the list's sizes wait too.
    const source = `is locked by another job \\(already locked exclusively by PID \\d+ on ${holder.container.id.slice(0, 12)} by root [^)]*\\)\\); restic \\w+ waits for it`;
    const waiting = new RegExp(source);
    const waited = new RegExp(source, "g");
    // listRuns throws when its job fails: that is what CI saw.
    const both = Promise.all([
      listRuns(docker, await target(), { onOutput: (t) => (said.list += t) }),
      backupSite(docker, await target(), { commit: "c0ffee1234", onOutput: (t) => (said.backup += t) }),
    ]);
    let ended = false;
    void both.then(
      () => (ended = true),
      () => (ended = true),
    );
    // A job that ended without waiting fails below, with its own error.
    await waitFor(async () => ended || (waiting.test(said.list) && waiting.test(said.backup)), "both jobs waiting for the lock", 120_000, 200);
    await holder.release();
    const [, made] = await both;
    expect(made).toMatchObject({ ok: true, exitCode: 0 });
    // Said once each, without restic's own message on every try.
    expect(said.list.match(waited)).toHaveLength(1);
    expect(said.backup.match(waited)).toHaveLength(1);
    expect(said.list + said.backup).not.toMatch(/storage ID/);
    expect((await listRuns(docker, await target())).map((r) => r.run)).toContain(made.run);
  } finally {
    await holder.container.remove({ force: true });
  }
});

test("latest passes over a run whose dump was cut short (a failed run kept from before failed runs were removed)", async () => {
  const t = await target();
  const whole = latestCandidates(await listRuns(docker, t, { sizes: false }), true)[0];
  if (!whole) throw new Error("the earlier tests made a whole run");
  // As the old script left it: a dump snapshot cut mid-statement, the volumes, no parts tag.
  const cut = runId(new Date(), "c0ffee");
  const body = `open_repository
printf -- '-- MariaDB dump\\nCREATE TABLE cut (' | restic backup --host "$SIMULIUM_SITE" --tag "site:$SIMULIUM_SITE,run:${cut},manifest:legacy" --stdin --stdin-filename database.sql
restic backup --host "$SIMULIUM_SITE" --tag "site:$SIMULIUM_SITE,run:${cut},manifest:legacy" /data`;
  expect((await runResticJob(docker, t, "backup", resticScript(body), [])).exitCode).toBe(0);
  expect((await listRuns(docker, t, { sizes: false }))[0]?.run).toBe(cut);

  const restored = await restoreSite(docker, t, { from: "latest", loadSwapScript: loadAndSwapScript(), log: quietLog });
  expect(restored.run.run).toBe(whole.run);
  // Named, it is refused before the site is touched.
  await expect(restoreSite(docker, t, { from: cut, loadSwapScript: loadAndSwapScript(), log: quietLog })).rejects.toThrow(/did not complete \(a failed backup that stayed/);
});

test("the CLI: backup prints its run and snapshots, restore of an unknown backup is refused without touching the site", async () => {
  // restic's progress goes to stderr: kept out of the test output.
  const err = jest.spyOn(process.stderr, "write").mockImplementation(() => true);
  try {
    const backedUp = await cli("backup", site, "--repo", repo.dir, "--state-dir", stateDir);
    expect(backedUp.code).toBe(0);
    expect(backedUp.out).toMatch(/^backup \S+: [0-9a-f]{8}, [0-9a-f]{8}\n$/);
    await expect(cli("restore", site, "--from", "deadbeef", "--repo", repo.dir, "--state-dir", stateDir)).rejects.toThrow(
      `site ${site} has no backup run or snapshot "deadbeef" (or more than one matches): see simulium backups ${site}`,
    );
  } finally {
    err.mockRestore();
  }
});


test("a corrupted pack is detected: the restore is refused and the site is left as it is", async () => {
  await inWeb(`${SQL("INSERT INTO notes VALUES (3, 'after the backup')")} && echo kept > ${FILES}/kept.txt`);
  const before = await snapshotOfSite();
  const webBefore = (await docker.getService(`${site}_web`).inspect()) as ApiService;
  await corruptPacks();

  const check = await checkRepository(docker, await target(), { args: ["--read-data"] });
  expect(check.ok).toBe(false);
  const refused = restoreSite(docker, await target(), { from: "latest", loadSwapScript: loadAndSwapScript(), log: quietLog });
  await expect(refused).rejects.toThrow(RestoreRefusedError);
  await expect(refused).rejects.toThrow(/refused, the site was not changed/);

  const webAfter = (await docker.getService(`${site}_web`).inspect()) as ApiService;
  expect(webAfter.Version?.Index).toBe(webBefore.Version?.Index);
  expect(await snapshotOfSite()).toBe(before);
});

/**
 * A real restic holding the site's repository locked exclusively: `key passwd` takes the
 * exclusive lock, then reads the new password from stdin, which stays open until `release`
 * (or 200 s) and then ends empty, so it fails without changing anything and drops the lock.
 * Returns once the lock file exists.
 */
async function holdExclusiveLock(): Promise<{ container: Docker.Container; release(): Promise<void> }> {
  const password = readFileSync(new StateStore(stateDir, instance, "read-only").path("restic-password"), "utf8").trim();
  const container = await docker.createContainer({
    Image: "simulium/backup:local",
    // Longer than the test waits for the jobs: the holder never lets go by itself first.
    Cmd: ["sh", "-c", "i=0; while [ ! -e /tmp/release ] && [ $i -lt 1000 ]; do sleep 0.2; i=$((i+1)); done | restic key passwd"],
    Env: [`RESTIC_REPOSITORY=/restic/${site}`, `RESTIC_PASSWORD=${password}`],
    Labels: { [LABEL.instance]: instance },
    HostConfig: { Binds: [`${backupsVolumeName(instance)}:/restic`] },
  });
  await container.start();
  const locks = async () => Number((await execIn(docker, container.id, ["sh", "-c", `ls /restic/${site}/locks | wc -l`])).stdout.trim());
  await waitFor(async () => (await locks()) > 0, "restic's exclusive lock", 10_000, 100);
  return {
    container,
    release: async () => {
      // A holder that already let go (it gave up by itself) is released already.
      await execIn(docker, container.id, ["touch", "/tmp/release"]).catch(() => undefined);
      await container.wait();
    },
  };
}

/** Flips bytes inside every pack file of the site's repository, in the backups volume. */
async function corruptPacks(): Promise<void> {
  const container = await docker.createContainer({
    Image: "simulium/busybox:local",
    Cmd: ["sh", "-c", `set -e; n=0; for f in $(find /restic/${site}/data -type f); do printf 'XXXXXXXX' | dd of="$f" bs=1 seek=64 conv=notrunc 2>/dev/null; n=$((n+1)); done; echo "$n packs"`],
    Labels: { [LABEL.instance]: instance },
    HostConfig: { Binds: [`${backupsVolumeName(instance)}:/restic`] },
  });
  try {
    await container.start();
    const { StatusCode } = (await container.wait()) as { StatusCode: number };
    const logs = (await container.logs({ stdout: true, stderr: true })).toString("utf8");
    expect({ StatusCode, logs }).toMatchObject({ StatusCode: 0, logs: expect.stringMatching(/[1-9]\d* packs/) });
  } finally {
    await container.remove({ force: true });
  }
}
