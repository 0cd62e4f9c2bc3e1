import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { Writable } from "node:stream";
import pino from "pino";
import { StateStore } from "../../controller/state/store";
import { DaemonStatus, RunningDaemon, startDaemon } from "../../controller/daemon/daemon";
import { connectDocker } from "../../controller/engine/docker";
import { httpGet } from "../harness";
import { cli } from "../support/cli";
import { clusterYaml, siteYaml } from "../support/manifests";
import { writeFiles } from "../support/repo";
import { execInService, removeInstance, testInstance, waitFor } from "../support/swarm";
import { writeApiToken } from "../support/api-token";

/**
 * The daemon's scheduled backups and checks on the real engine: runs on the site's schedule,
 * the result in /status, the metrics and `simulium status SITE`, and no secret in any of them
 * or in the daemon's log.
 */
const docker = connectDocker();
const instance = testInstance("bkd");
const site = `${instance}-d`;
const root = mkdtempSync(path.join(os.tmpdir(), "simulium-backup-daemon-"));
const api = writeApiToken(root);
const dir = path.join(root, "manifests");
const stateDir = path.join(root, "state");
let daemon: RunningDaemon | undefined;
let logText = "";
const log = pino(
  { level: "info" },
  new Writable({
    write(chunk: Buffer, _enc, done) {
      logText += chunk.toString("utf8");
      done();
    },
  }),
);

const write = (files: Record<string, string>): void => writeFiles(dir, files);

/** The body of a GET to the daemon's HTTP endpoints. */
const get = async (port: number, urlPath: string): Promise<string> => (await httpGet("127.0.0.1", port, urlPath, api.headers)).body;

const backupOf = async (d: RunningDaemon) => ((JSON.parse(await get(d.port, "/status")) as DaemonStatus).sites.find((s) => s.site === site)?.backup ?? null);

beforeAll(async () => {
  write({
    "simulium.yaml": clusterYaml(instance, `  backup: {image: "simulium/backup:local", check: {schedule: "*/20 * * * * *"}}\n`),
    [`sites/${site}.yaml`]: siteYaml(site, { database: true }) + `  backup: {schedule: "*/15 * * * * *", keep: 2}\n`,
  });
  daemon = await startDaemon({
    repo: dir,
    branch: "main",
    stateDir,
    listen: { host: "127.0.0.1", port: 0 },
    apiTokenFile: api.file,
    pollSeconds: 3600,
    resyncSeconds: 3600,
    log,
    docker,
    convergePollMs: 500,
    debounceMs: 200,
  });
});

afterAll(async () => {
  const before = process.exitCode;
  await daemon?.stop();
  await removeInstance(docker, instance);
  rmSync(root, { recursive: true, force: true });
  process.exitCode = before;
});

test("backups run on the site's schedule and checks on the cluster's; both show in /status, metrics and simulium status", async () => {
  const d = daemon as RunningDaemon;
  const status = await waitFor(async () => {
    const b = await backupOf(d);
    return b?.record.lastBackup?.ok && b.record.lastCheck?.ok && (b.backup?.runs.length ?? 0) >= 2 ? b : undefined;
  }, "two scheduled backups and a check", 300_000, 2000);
  expect(status.schedule).toBe("*/15 * * * * *");
  expect(status.backup?.runs[0]).toMatchObject({ result: "success", exitCode: 0 });
  expect(status.record.lastBackup?.snapshots).toHaveLength(2);
  expect(status.check?.runs[0]).toMatchObject({ result: "success", output: "no errors were found" });

  const metrics = await get(d.port, "/metrics");
  expect(metrics).toMatch(new RegExp(`simulium_backup_runs_total\\{site="${site}",result="success"\\} [1-9]`));
  expect(metrics).toMatch(new RegExp(`simulium_backup_last_success_timestamp_seconds\\{site="${site}"\\} [1-9]`));
  expect(metrics).toMatch(new RegExp(`simulium_backup_check_ok\\{site="${site}"\\} 1`));

  const line = (await cli("status", site, "--repo", dir, "--state-dir", stateDir)).out;
  expect(line).toMatch(new RegExp(`${site}: last backup \\S+ ok \\(run \\S+\\); last check \\S+ ok`));

  // keep: 2, however many runs the schedule made by now.
  const runs = JSON.parse((await cli("backups", site, "--repo", dir, "--state-dir", stateDir, "--json")).out) as { run: string }[];
  expect(runs.length).toBeGreaterThanOrEqual(1);
  expect(runs.length).toBeLessThanOrEqual(2);
});

test("no secret in /status, the metrics or the daemon's log", async () => {
  const d = daemon as RunningDaemon;
  const resticPassword = readFileSync(new StateStore(stateDir, instance, "read-only").path("restic-password"), "utf8").trim();
  const dbPassword = (await execInService(docker, `${site}_web`, ["cat", "/run/secrets/db-password"])).output.trim();
  expect(resticPassword.length).toBeGreaterThan(20);
  expect(dbPassword.length).toBeGreaterThan(20);
  expect(logText).toMatch(/audit: scheduled backup ran/);
  const visible = [await get(d.port, "/status"), await get(d.port, "/metrics"), logText].join("\n");
  for (const secret of [resticPassword, dbPassword]) expect(visible).not.toContain(secret);
});
