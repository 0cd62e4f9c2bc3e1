import { LABEL } from "../../controller/desired/labels";
import type { ServiceSpec } from "../../controller/desired/types";
import { connectDocker } from "../../controller/engine/docker";
import { runJob } from "../../controller/jobs/run-job";
import { jobKind } from "../../controller/jobs/site-web";
import { buildProgram } from "../../controller/cli/main";
import { cli } from "../support/cli";
import { clusterYaml, siteYaml } from "../support/manifests";
import { reconcileRepo } from "../support/reconcile";
import { createRepo, TestRepo } from "../support/repo";
import { execInService, removeInstance, testInstance, waitFor } from "../support/swarm";

/**
 * `simulium logs` on the real engine: lines written by the site's web task (to its stdout and
 * stderr, as Apache's logs are), read back through the engine's log driver, labelled and merged.
 */
const docker = connectDocker();
const instance = testInstance("logs");
const site = `${instance}-s`;
let repo: TestRepo;
let web: ServiceSpec;

const HUMAN = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z (\S+) (.*)$/;

/** Writes lines into the web container's own stdout/stderr, where the log driver reads them. */
async function say(fd: 1 | 2, ...lines: string[]): Promise<void> {
  const r = await execInService(docker, `${site}_web`, ["sh", "-c", lines.map((l) => `echo '${l}' > /proc/1/fd/${fd}`).join("; ")]);
  if (r.exitCode !== 0) throw new Error(`writing to the web task's fd ${fd} failed: ${r.output}`);
}

beforeAll(async () => {
  repo = await createRepo({ "simulium.yaml": clusterYaml(instance), [`sites/${site}.yaml`]: siteYaml(site, { database: true, volumes: false }) });
  const out = await reconcileRepo(docker, repo.dir, await repo.commit("a site with a database"));
  expect(out.result.ok).toBe(true);
  const found = out.ctx.desired.resources.find((r): r is ServiceSpec => r.kind === "service" && r.name === `${site}_web`);
  if (!found) throw new Error("no web service rendered");
  web = found;
});

afterAll(async () => {
  await removeInstance(docker, instance);
  repo.cleanup();
});

/** The web task also logs its own health checks (Apache's access log): tests look at their lines. */
const ours = (line: string) => /(marker-|after-the-database|followed-)/.test(line);

interface LogRecord {
  time: string;
  service: string;
  task: string;
  stream: string;
  line: string;
}
const records = (out: string): LogRecord[] => out.trimEnd().split("\n").filter(Boolean).map((l) => JSON.parse(l) as LogRecord);

test("--service web: the lines the web task wrote, labelled web.1, in order, stderr too; --tail 5 the last five", async () => {
  await say(1, "marker-one", "marker-two");
  await say(2, "marker-three");
  await say(1, "marker-four", "marker-five");
  const r = await waitFor(async () => {
    const got = await cli("logs", site, "--repo", repo.dir, "--service", "web", "--tail", "50");
    return got.out.includes("marker-five") ? got : undefined;
  }, "the web task's lines in its logs", 30_000);
  expect(r.code).toBe(0);
  const lines = r.out.trimEnd().split("\n");
  for (const l of lines) expect(l).toMatch(HUMAN);
  expect(lines.filter(ours).map((l) => HUMAN.exec(l)?.slice(1))).toEqual([
    ["web.1", "marker-one"],
    ["web.1", "marker-two"],
    ["web.1", "marker-three"],
    ["web.1", "marker-four"],
    ["web.1", "marker-five"],
  ]);
  // --tail 5 is the end of the same list (read until no health check lands between the reads).
  await waitFor(async () => {
    const all = (await cli("logs", site, "--repo", repo.dir, "--service", "web")).out.trimEnd().split("\n");
    const five = (await cli("logs", site, "--repo", repo.dir, "--service", "web", "--tail", "5")).out.trimEnd().split("\n");
    const again = (await cli("logs", site, "--repo", repo.dir, "--service", "web")).out.trimEnd().split("\n");
    return all.length === again.length && all.length > 5 && JSON.stringify(five) === JSON.stringify(all.slice(-5));
  }, "--tail 5 to be the last five lines", 60_000);
});

test("--json: one object per line with time, service, task, stream and line; --since cuts by time", async () => {
  const r = await cli("logs", site, "--repo", repo.dir, "--service", "web", "--json");
  const all = records(r.out);
  for (const x of all) {
    expect(Object.keys(x).sort()).toEqual(["line", "service", "stream", "task", "time"]);
    expect(x.time).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z$/);
  }
  const mine = all.filter((x) => ours(x.line));
  expect(mine.map((x) => [x.service, x.task, x.stream, x.line])).toEqual([
    ["web", "web.1", "stdout", "marker-one"],
    ["web", "web.1", "stdout", "marker-two"],
    ["web", "web.1", "stderr", "marker-three"],
    ["web", "web.1", "stdout", "marker-four"],
    ["web", "web.1", "stdout", "marker-five"],
  ]);
  // From the time of the third line on: the first two are left out (the engine's since is whole seconds).
  const third = mine[2]?.time ?? "";
  const since = await cli("logs", site, "--repo", repo.dir, "--service", "web", "--since", `${third.slice(0, 23)}Z`, "--json");
  expect(records(since.out).map((x) => x.line).filter(ours)).toEqual(["marker-three", "marker-four", "marker-five"]);
  for (const x of records(since.out)) expect(x.time >= `${third.slice(0, 23)}000000Z`).toBe(true);
});

test("all services: web and db lines merged by time; --tail counts lines of the site, not per service", async () => {
  // MariaDB logs to stderr at start; one more web line comes after it.
  await waitFor(async () => (await cli("logs", site, "--repo", repo.dir, "--service", "db")).out.includes("db.1 "), "the database's start in its logs", 120_000);
  await say(1, "after-the-database");
  const r = await waitFor(async () => {
    const got = await cli("logs", site, "--repo", repo.dir, "--json");
    return got.out.includes("after-the-database") ? got : undefined;
  }, "the new web line", 30_000);
  const all = records(r.out);
  expect(new Set(all.map((x) => x.task))).toEqual(new Set(["web.1", "db.1"]));
  expect(all.map((x) => x.time)).toEqual([...all.map((x) => x.time)].sort());
  expect(all.filter((x) => ours(x.line)).at(-1)?.line).toBe("after-the-database");
  // The last three of the site: as many as asked, whichever services they come from.
  const tail = records((await cli("logs", site, "--repo", repo.dir, "--tail", "3", "--json")).out);
  expect(tail).toHaveLength(3);
  expect(tail[0]?.time ?? "").not.toBe("");
  expect(all.filter((x) => x.time >= (tail[0]?.time ?? "")).length).toBeLessThanOrEqual(3);
});

test("--service cron: a running cron job's lines, labelled by its service; none running says so", async () => {
  const none = await cli("logs", site, "--repo", repo.dir, "--service", "cron");
  expect(none).toEqual({ code: 0, out: "" });
  const job = runJob(docker, { web, command: ["sh", "-c", "echo from-the-cron-job; sleep 15"], timeoutSeconds: 120, kind: jobKind("cron", "drupal", site) });
  const r = await waitFor(async () => {
    const got = await cli("logs", site, "--repo", repo.dir, "--service", "cron");
    return got.out.includes("from-the-cron-job") ? got : undefined;
  }, "the cron job's line", 60_000);
  expect(r.out).toBe(r.out.match(/^\S+ cron-drupal-[0-9a-f]{6}\.\w+ from-the-cron-job\n$/)?.[0]);
  expect((await job).exitCode).toBe(0);
  const jobs = await docker.listServices({ filters: { label: [`${LABEL.instance}=${instance}`, `${LABEL.role}=job`] } });
  expect(jobs).toEqual([]);
});

test("--follow: the backlog, then new lines as they come, until Ctrl-C (SIGINT) ends it cleanly", async () => {
  const chunks: string[] = [];
  const write = jest.spyOn(process.stdout, "write").mockImplementation((c: string | Uint8Array) => {
    chunks.push(String(c));
    return true;
  });
  const sigintListeners = process.listenerCount("SIGINT");
  let following: Promise<unknown> | undefined;
  try {
    following = buildProgram().exitOverride().parseAsync(["node", "simulium", "--log-level", "silent", "logs", site, "--repo", repo.dir, "--service", "web", "--tail", "1", "--follow", "--json"]);
    await waitFor(async () => chunks.length > 0, "the backlog line", 30_000, 200);
    await say(1, "followed-one");
    await say(2, "followed-two");
    await waitFor(async () => chunks.join("").includes("followed-two"), "the followed lines", 30_000, 200);
    expect(process.listenerCount("SIGINT")).toBe(sigintListeners + 1);
  } finally {
    // Ends the follow even when a wait failed: a running follow would keep the test process alive.
    process.emit("SIGINT");
    await following;
    write.mockRestore();
  }
  expect(process.listenerCount("SIGINT")).toBe(sigintListeners);
  const got = records(chunks.join(""));
  // One line of backlog (--tail 1), the older markers not among them; each line once, in time order.
  expect(got.filter((x) => /^marker-/.test(x.line))).toEqual([]);
  expect(got.filter((x) => x.line.startsWith("followed-")).map((x) => [x.task, x.stream, x.line])).toEqual([
    ["web.1", "stdout", "followed-one"],
    ["web.1", "stderr", "followed-two"],
  ]);
  expect(new Set(got.map((x) => `${x.time} ${x.line}`)).size).toBe(got.length);
  expect(got.map((x) => x.time)).toEqual([...got.map((x) => x.time)].sort());
});

test("--follow --service cron: a job that starts while following is followed from its first line", async () => {
  const chunks: string[] = [];
  const write = jest.spyOn(process.stdout, "write").mockImplementation((c: string | Uint8Array) => {
    chunks.push(String(c));
    return true;
  });
  let following: Promise<unknown> | undefined;
  let job: Promise<{ exitCode: number }> | undefined;
  try {
    following = buildProgram().exitOverride().parseAsync(["node", "simulium", "--log-level", "silent", "logs", site, "--repo", repo.dir, "--service", "cron", "--follow"]);
    job = runJob(docker, { web, command: ["sh", "-c", "echo first-of-the-job; sleep 2; echo second-of-the-job; sleep 5"], timeoutSeconds: 120, kind: jobKind("cron", "civicrm", site) });
    await waitFor(async () => chunks.join("").includes("second-of-the-job"), "the job's lines while following", 60_000, 200);
  } finally {
    process.emit("SIGINT");
    await following;
    write.mockRestore();
  }
  expect((await job)?.exitCode).toBe(0);
  expect(chunks.join("")).toMatch(/^\S+ cron-civicrm-[0-9a-f]{6}\.\w+ first-of-the-job\n\S+ cron-civicrm-[0-9a-f]{6}\.\w+ second-of-the-job\n$/);
});

test("bad options are refused before anything is read", async () => {
  await expect(cli("logs", site, "--repo", repo.dir, "--since", "yesterday")).rejects.toThrow("--since must be a duration");
  await expect(cli("logs", site, "--repo", repo.dir, "--service", "varnish")).rejects.toThrow("--service must be one of web, db, cron, backup, all");
  await expect(cli("logs", "no-such-site", "--repo", repo.dir)).rejects.toThrow(`site no-such-site has no service on instance ${instance}`);
});
