import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import type { DaemonStatus, RunningDaemon } from "../../controller/daemon/daemon";
import { connectDocker } from "../../controller/engine/docker";
import { startTestDaemon } from "../support/daemon";
import { clusterYaml, siteYaml } from "../support/manifests";
import { writeFiles } from "../support/repo";
import { removeInstance, testInstance, waitFor } from "../support/swarm";
import { freePort, httpGet } from "../harness";

/**
 * One site's rollout never delays another's change: while site A's update sits in Swarm's
 * update monitor (20 s here), a change of site B is applied by a run beside A's and served
 * through Varnish within seconds, also while A's update fails and is rolled back. Directory
 * mode: a file change is the push.
 */
const docker = connectDocker();
const instance = testInstance("dcc");
const a = `${instance}-a`;
const b = `${instance}-b`;
const root = mkdtempSync(path.join(os.tmpdir(), "simulium-dcc-"));
const dir = path.join(root, "manifests");
const MONITOR_SECONDS = 20;
let port = 0;
let daemon: RunningDaemon;

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
  writeFiles(dir, {
    "simulium.yaml": clusterYaml(instance, `  varnish: {image: "simulium/varnish:local", port: ${port}}\n`).replace("monitorSeconds: 2", `monitorSeconds: ${MONITOR_SECONDS}`),
    [`sites/${a}.yaml`]: manifest(a, { version: "1" }),
    [`sites/${b}.yaml`]: manifest(b, { version: "1" }),
  });
  daemon = await startTestDaemon({ repo: dir, stateDir: path.join(root, "state"), docker, debounceMs: 200 });
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
  writeFiles(dir, { [`sites/${a}.yaml`]: manifest(a, { version: "2" }) });
  const rollout = await waitFor(runChanging(a), "the run rolling A out", 60_000, 200);
  expect(rollout.concurrent).toBe(false);
  const start = Date.now();
  writeFiles(dir, { [`sites/${b}.yaml`]: manifest(b, { version: "2" }) });
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

test("while A's update fails and Swarm rolls it back, B's change is served; A is held failed on its old version, B converged", async () => {
  writeFiles(dir, { [`sites/${a}.yaml`]: manifest(a, { version: "3", image: "simulium/web:does-not-exist" }) });
  await waitFor(runChanging(a), "the run rolling A out", 60_000, 200);
  writeFiles(dir, { [`sites/${b}.yaml`]: manifest(b, { version: "3" }) });
  await waitFor(serves(b, "3"), "B's change through Varnish", 60_000, 100);
  await daemon.idle();
  const states = new Map(status().sites.map((s) => [s.site, s]));
  expect(states.get(a)?.state).toBe("failed");
  expect(states.get(a)?.lastError).toMatch(/roll|does-not-exist|image/i);
  expect(states.get(b)?.state).toBe("converged");
  expect(await body(a)).toContain("version: 2\n");
  expect(await body(b)).toContain("version: 3\n");
}, 300_000);
