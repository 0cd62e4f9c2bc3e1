import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { DaemonStatus, RunningDaemon, startDaemon } from "../../controller/daemon/daemon";
import { LABEL } from "../../controller/desired/labels";
import type { ApiService } from "../../controller/engine/api-types";
import { connectDocker } from "../../controller/engine/docker";
import { httpGet } from "../harness";
import { cli } from "../support/cli";
import { clusterYaml, siteYaml } from "../support/manifests";
import { writeFiles } from "../support/repo";
import { quietLog } from "../support/reconcile";
import { execInService, removeInstance, testInstance, waitFor } from "../support/swarm";
import { writeApiToken } from "../support/api-token";

/**
 * The daemon's cron on the real engine: each tick is a Swarm job in the site's web image,
 * with its database credentials; a run still going makes the next tick a counted skip; a
 * failing command shows its exit code and output in /status.
 */
const docker = connectDocker();
const instance = testInstance("cron");
const site = `${instance}-c`;
const root = mkdtempSync(path.join(os.tmpdir(), "simulium-cron-"));
const api = writeApiToken(root);
const dir = path.join(root, "manifests");
let daemon: RunningDaemon | undefined;

const INSERT = `mariadb -h "$DB_HOST" -u"$DB_USER" -p"$(cat "$DB_PASSWORD_FILE")" "$DB_NAME" -e "CREATE TABLE IF NOT EXISTS ticks (t TIMESTAMP DEFAULT CURRENT_TIMESTAMP); INSERT INTO ticks VALUES ()"`;
const COUNT = `mariadb -h "$DB_HOST" -u"$DB_USER" -p"$(cat "$DB_PASSWORD_FILE")" "$DB_NAME" -N -e "SELECT COUNT(*) FROM ticks"`;

const cronYaml = [
  "  cron:",
  `    - {name: tick, schedule: "*/2 * * * * *", command: [sh, -c, ${JSON.stringify(INSERT)}], timeout: 60}`,
  `    - {name: slow, schedule: "*/2 * * * * *", command: [sh, -c, "sleep 8"], timeout: 60}`,
  `    - {name: broken, schedule: "*/5 * * * * *", command: [sh, -c, "echo about to fail; exit 7"], timeout: 60}`,
].join("\n");

const write = (files: Record<string, string>): void => writeFiles(dir, files);

/** The body of a GET to the daemon's HTTP endpoints. */
const get = async (port: number, urlPath: string): Promise<string> => (await httpGet("127.0.0.1", port, urlPath, api.headers)).body;

const httpStatus = async (d: RunningDaemon): Promise<DaemonStatus> => JSON.parse(await get(d.port, "/status")) as DaemonStatus;
const cronOf = async (d: RunningDaemon, name: string) => (await httpStatus(d)).sites.find((s) => s.site === site)?.cron.find((c) => c.name === name);
const jobServices = async () =>
  ((await docker.listServices({ filters: { label: [`${LABEL.instance}=${instance}`, `${LABEL.role}=job`] } })) as ApiService[]).map((s) => s.Spec?.Name ?? "");

beforeAll(async () => {
  write({ "simulium.yaml": clusterYaml(instance), [`sites/${site}.yaml`]: siteYaml(site, { database: true, volumes: false }) + cronYaml + "\n" });
  daemon = await startDaemon({
    repo: dir,
    branch: "main",
    stateDir: path.join(root, "state"),
    listen: { host: "127.0.0.1", port: 0 },
    apiTokenFile: api.file,
    pollSeconds: 3600,
    resyncSeconds: 3600,
    log: quietLog,
    docker,
    convergePollMs: 500,
    debounceMs: 200,
  });
});

afterAll(async () => {
  await daemon?.stop();
  await removeInstance(docker, instance);
  rmSync(root, { recursive: true, force: true });
});

test("a cron entry runs every tick as a job with the site's database: rows appear", async () => {
  const d = daemon as RunningDaemon;
  const rows = await waitFor(async () => {
    const r = await execInService(docker, `${site}_web`, ["sh", "-c", COUNT]).catch(() => undefined);
    const n = r?.exitCode === 0 ? Number(r.output.trim()) : 0;
    return n >= 2 ? n : undefined;
  }, "two rows written by cron runs", 240_000, 2000);
  expect(rows).toBeGreaterThanOrEqual(2);
  const tick = await cronOf(d, "tick");
  expect(tick?.runs.some((r) => r.result === "success" && r.exitCode === 0)).toBe(true);
});

test("a run longer than the interval makes the next ticks skipped and counted", async () => {
  const d = daemon as RunningDaemon;
  const slow = await waitFor(async () => {
    const s = await cronOf(d, "slow");
    return s && s.skipped >= 2 && s.runs.some((r) => r.result === "success") ? s : undefined;
  }, "skipped ticks of the slow entry", 180_000, 1000);
  // Ticks every 2 s, runs of 8 s or more: most ticks are skipped.
  expect(slow.skipped).toBeGreaterThan(slow.runs.length);
  expect(slow.runs.every((r) => r.durationSeconds >= 8)).toBe(true);
  expect(await get(d.port, "/metrics")).toMatch(new RegExp(`simulium_cron_skipped_total\\{site="${site}",cron="slow"\\} [1-9]`));
});

test("a failing command shows as failed with its exit code and output", async () => {
  const d = daemon as RunningDaemon;
  const broken = await waitFor(async () => {
    const s = await cronOf(d, "broken");
    return s && s.runs.length > 0 ? s : undefined;
  }, "a run of the broken entry", 180_000, 1000);
  expect(broken.runs[0]).toMatchObject({ result: "failure", exitCode: 7, output: "about to fail" });
  const metrics = await get(d.port, "/metrics");
  expect(metrics).toMatch(new RegExp(`simulium_cron_runs_total\\{site="${site}",cron="broken",result="failure"\\} [1-9]`));
  expect(metrics).toMatch(new RegExp(`simulium_cron_last_success_timestamp_seconds\\{site="${site}",cron="tick"\\} [1-9]`));
});

test("simulium cron run runs one entry now and exits with its exit code", async () => {
  const ran = await cli("cron", "run", site, "broken", "--repo", dir);
  expect(ran.code).toBe(7);
  expect(ran.out).toBe("about to fail\n");
  await expect(cli("cron", "run", site, "nope", "--repo", dir)).rejects.toThrow(`site ${site} has no cron entry nope (entries: tick, slow, broken)`);
});


test("entries removed from the manifest stop, and no job service is left behind", async () => {
  const d = daemon as RunningDaemon;
  write({ [`sites/${site}.yaml`]: siteYaml(site, { database: true, volumes: false }) });
  await waitFor(async () => ((await cronOf(d, "tick")) === undefined ? true : undefined), "the schedule to drop the removed entries", 120_000, 500);
  expect((await httpStatus(d)).sites.find((s) => s.site === site)?.cron).toEqual([]);
  // Runs in flight finish (the slow one within its 8 s); nothing new starts.
  await waitFor(async () => ((await jobServices()).length === 0 ? true : undefined), "the last job services to be removed", 60_000, 1000);
  await new Promise((r) => setTimeout(r, 5000));
  expect(await jobServices()).toEqual([]);
});
