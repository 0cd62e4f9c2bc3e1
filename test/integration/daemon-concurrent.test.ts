import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import type { DaemonStatus, RunningDaemon } from "../../controller/daemon/daemon";
import { connectDocker } from "../../controller/engine/docker";
import { startTestDaemon, testGit } from "../support/daemon";
import { clusterYaml, siteYaml } from "../support/manifests";
import { writeFiles } from "../support/repo";
import { removeInstance, testInstance, waitFor } from "../support/swarm";
import { freePort, httpGet } from "../harness";

/**
 * One site's rollout never delays another's change: while site A's update sits in Swarm's
 * update monitor (20 s here), a change of site B is applied by a run beside A's and served
 * through Varnish within seconds, also while A's update fails and is rolled back. A git source
 * over file://, each push followed by a poll (as the poll timer would): every run beside
 * another fetches, which moves the clone's head and working tree under the run in flight.
 */
const docker = connectDocker();
const instance = testInstance("dcc");
const a = `${instance}-a`;
const b = `${instance}-b`;
const root = mkdtempSync(path.join(os.tmpdir(), "simulium-dcc-"));
const bare = path.join(root, "forge.git");
const work = path.join(root, "work");
const git = testGit(root);
const MONITOR_SECONDS = 20;
let port = 0;
let daemon: RunningDaemon;

/** Commits and pushes these files; the daemon hears of it by its next poll, asked for now. */
function push(files: Record<string, string>, message: string, poll = true): void {
  writeFiles(work, files);
  git(work, "add", "-A");
  git(work, "commit", "-q", "-m", message);
  git(work, "push", "-q", "origin", "HEAD:main");
  if (poll) daemon.trigger("poll");
}

const manifest = (site: string, o: { version: string; image?: string }) => siteYaml(site, { volumes: false, replicas: 1, ...o });
const status = (): DaemonStatus => daemon.status();

async function body(site: string): Promise<string> {
  const r = await httpGet("127.0.0.1", port, "/", { Host: `${site}.test` }, 5_000);
  return r.status === 200 ? r.body : `status ${r.status}`;
}
const serves = (site: string, version: string) => async () => ((await body(site)).includes(`version: ${version}\n`) ? true : undefined);

/** The run in flight that is changing `site`, once it is. */
const runChanging = (site: string) => async () => status().runs.find((r) => r.sites.includes(site));

beforeAll(async () => {
  port = await freePort();
  git(root, "init", "-q", "--bare", "-b", "main", bare);
  mkdirSync(work, { recursive: true });
  git(work, "init", "-q", "-b", "main");
  git(work, "remote", "add", "origin", `file://${bare}`);
  push(
    {
      "simulium.yaml": clusterYaml(instance, `  varnish: {image: "simulium/varnish:local", port: ${port}}\n`).replace("monitorSeconds: 2", `monitorSeconds: ${MONITOR_SECONDS}`),
      [`sites/${a}.yaml`]: manifest(a, { version: "1" }),
      [`sites/${b}.yaml`]: manifest(b, { version: "1" }),
    },
    "two sites",
    false,
  );
  daemon = await startTestDaemon({ repo: `file://${bare}`, stateDir: path.join(root, "state"), docker });
  await waitFor(async () => (status().lastRun?.ok ? true : undefined), "the first reconcile", 300_000, 500);
  await waitFor(serves(a, "1"), "site A through Varnish", 120_000, 500);
  await waitFor(serves(b, "1"), "site B through Varnish", 120_000, 500);
  await daemon.idle();
}, 400_000);

afterAll(async () => {
  await daemon?.stop();
  await removeInstance(docker, instance);
  rmSync(root, { recursive: true, force: true });
});

test("a change of B during A's rollout is served while A still rolls out; both end converged", async () => {
  push({ [`sites/${a}.yaml`]: manifest(a, { version: "2" }) }, "A 2");
  const rollout = await waitFor(runChanging(a), "the run rolling A out", 60_000, 200);
  expect(rollout.concurrent).toBe(false);
  const start = Date.now();
  push({ [`sites/${b}.yaml`]: manifest(b, { version: "2" }) }, "B 2");
  await waitFor(serves(b, "2"), "B's change through Varnish", 60_000, 100);
  const seconds = (Date.now() - start) / 1000;
  // A's update is still in Swarm's monitor: B did not wait for it.
  const inFlight = status().runs;
  expect(inFlight.find((r) => r.sites.includes(a))).toBeDefined();
  expect(seconds).toBeLessThan(MONITOR_SECONDS / 2);
  await daemon.idle();
  await waitFor(serves(a, "2"), "A's change through Varnish", 60_000, 200);
  expect(await body(b)).toContain("version: 2\n");
  const states = new Map(status().sites.map((s) => [s.site, s.state]));
  expect(states.get(a)).toBe("converged");
  expect(states.get(b)).toBe("converged");
  expect(status().runs).toEqual([]);
  expect(status().lastRun).toMatchObject({ ok: true });
  expect(status().lastRun?.concurrent).toBeUndefined();
}, 300_000);

test("a commit changing A and B polled during A's rollout: B is served beside it, and A's part is applied once the rollout ends, not at the next resync", async () => {
  push({ [`sites/${a}.yaml`]: manifest(a, { version: "4" }) }, "A 4");
  await waitFor(runChanging(a), "the run rolling A out", 60_000, 200);
  // The run beside A's fetches this commit (the clone's head moves to it) and applies B only: A is being rolled out.
  push({ [`sites/${a}.yaml`]: manifest(a, { version: "5" }), [`sites/${b}.yaml`]: manifest(b, { version: "5" }) }, "A 5 and B 5");
  await waitFor(serves(b, "5"), "B's change through Varnish", 60_000, 100);
  expect(status().runs.find((r) => r.sites.includes(a))).toBeDefined();
  // The follow-up poll finds the head where the run beside fetched it, and still applies A's part of that commit.
  await daemon.idle();
  await waitFor(serves(a, "5"), "A's part of the commit through Varnish", 60_000, 200);
  await daemon.idle();
  const states = new Map(status().sites.map((s) => [s.site, s]));
  expect(states.get(a)?.state).toBe("converged");
  expect(states.get(b)?.state).toBe("converged");
  expect(status().lastRun).toMatchObject({ ok: true, commit: git(work, "rev-parse", "HEAD") });
}, 300_000);

test("while A's update fails and Swarm rolls it back, B's change is served; A is held failed on its old version, B converged", async () => {
  push({ [`sites/${a}.yaml`]: manifest(a, { version: "3", image: "simulium/web:does-not-exist" }) }, "A 3, an image that does not exist");
  await waitFor(runChanging(a), "the run rolling A out", 60_000, 200);
  push({ [`sites/${b}.yaml`]: manifest(b, { version: "3" }) }, "B 3");
  await waitFor(serves(b, "3"), "B's change through Varnish", 60_000, 100);
  await daemon.idle();
  const states = new Map(status().sites.map((s) => [s.site, s]));
  expect(states.get(a)?.state).toBe("failed");
  expect(states.get(a)?.lastError).toMatch(/roll|does-not-exist|image/i);
  expect(states.get(b)?.state).toBe("converged");
  expect(await body(a)).toContain("version: 5\n");
  expect(await body(b)).toContain("version: 3\n");
}, 300_000);
