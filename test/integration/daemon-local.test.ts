import Docker from "dockerode";
import { mkdtempSync, rmSync, symlinkSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { RunningDaemon, startDaemon } from "../../controller/daemon/daemon";
import { connectDocker } from "../../controller/engine/docker";
import { readLive } from "../../controller/live/read";
import { startCountingProxy } from "../support/counting-proxy";
import { httpGet } from "../harness";
import { clusterYaml, siteYaml } from "../support/manifests";
import { writeFiles } from "../support/repo";
import { quietLog, waitForPage } from "../support/reconcile";
import { removeInstance, testInstance, waitFor } from "../support/swarm";
import { writeApiToken } from "../support/api-token";

/**
 * The daemon on a plain directory (the local loop): a saved file is applied without any
 * trigger, the periodic resync reverts a hand edit, and an engine that was unreachable is
 * picked up again by the backoff retries.
 */
const docker = connectDocker();
const instance = testInstance("dml");
const engineInstance = testInstance("dme");
const site = `${instance}-blog`;
const root = mkdtempSync(path.join(os.tmpdir(), "simulium-daemon-local-"));
const api = writeApiToken(root);
const daemons: RunningDaemon[] = [];

afterAll(async () => {
  for (const d of daemons) await d.stop();
  await removeInstance(docker, instance);
  await removeInstance(docker, engineInstance);
  rmSync(root, { recursive: true, force: true });
});

/** A GET to the daemon's HTTP endpoints. */
const get = (port: number, urlPath: string) => httpGet("127.0.0.1", port, urlPath, api.headers);


describe("directory mode", () => {
  const dir = path.join(root, "manifests");
  let daemon: RunningDaemon;

  beforeAll(async () => {
    writeFiles(dir, { "simulium.yaml": clusterYaml(instance), [`sites/${site}.yaml`]: siteYaml(site, { version: "1" }) });
    daemon = await startDaemon({
      repo: dir,
      branch: "main",
      stateDir: path.join(root, "state-dir-mode"),
      listen: { host: "127.0.0.1", port: 0 },
      apiTokenFile: api.file,
      pollSeconds: 3600,
      resyncSeconds: 3,
      log: quietLog,
      docker,
      convergePollMs: 500,
      debounceMs: 200,
    });
    daemons.push(daemon);
    await waitForPage(docker, `${site}_web`, /version: 1/);
    await daemon.idle();
  });

  test("the first run applies the directory, labelled with the commit 'local' (it is not a git work tree)", async () => {
    const s = daemon.status();
    expect(s.source).toEqual({ kind: "directory", repo: dir, branch: null });
    expect(s.commit?.sha).toBe("local");
    expect(s.sites).toEqual([expect.objectContaining({ site, state: "converged", appliedCommit: "local" })]);
  });

  test("saving a manifest is applied without any other trigger", async () => {
    const t0 = Date.now();
    writeFiles(dir, { [`sites/${site}.yaml`]: siteYaml(site, { version: "2" }) });
    await waitForPage(docker, `${site}_web`, /version: 2/);
    // eslint-disable-next-line no-console
    console.log(`daemon: file save → converged in ${Date.now() - t0} ms`);
  });

  test("the periodic resync reverts a hand edit of the service and counts it as a drift correction", async () => {
    await daemon.idle();
    const web = (await readLive(docker, instance)).services.find((s) => s.name === `${site}_web`);
    if (!web) throw new Error("web service missing");
    const inspect = await docker.getService(web.id).inspect();
    const spec = inspect.Spec;
    spec.TaskTemplate.ContainerSpec.Env = (spec.TaskTemplate.ContainerSpec.Env ?? []).map((e: string) =>
      e.startsWith("SITE_VERSION=") ? "SITE_VERSION=hand-edited" : e,
    );
    await docker.getService(web.id).update({ ...spec, version: inspect.Version.Index });
    // Nothing but the resync timer can put it back: the files did not change. (The edit may be
    // reverted before a hand-edited task ever serves, so the spec and the counter are what is checked.)
    await waitFor(async () => {
      const env = (await docker.getService(web.id).inspect()).Spec.TaskTemplate.ContainerSpec.Env as string[];
      return env.includes("SITE_VERSION=2");
    }, "the hand edit to be reverted", 30_000, 250);
    await waitForPage(docker, `${site}_web`, /version: 2/);
    // The page turns before the run that reverted it has finished waiting for convergence.
    const metrics = await waitFor(async () => {
      const m = await get(daemon.port, "/metrics");
      return /^simulium_drift_corrections_total [1-9]/m.test(m.body) ? m.body : undefined;
    }, "the drift correction to be counted", 30_000, 250);
    expect(metrics).toMatch(/^simulium_actions_applied_total\{kind="service",op="update"\} [2-9]/m);
  });
});

test("an unreachable engine fails /readyz, is retried with backoff, and is recovered without a restart", async () => {
  const dir = path.join(root, "engine-manifests");
  writeFiles(dir, { "simulium.yaml": clusterYaml(engineInstance), "sites/.gitkeep": "" });
  // The proxy forwards to a socket that does not exist yet: every engine call fails like a stopped dockerd.
  const target = path.join(root, "engine.sock");
  const proxy = await startCountingProxy(target);
  try {
    const daemon = await startDaemon({
      repo: dir,
      branch: "main",
      stateDir: path.join(root, "state-engine"),
      listen: { host: "127.0.0.1", port: 0 },
      apiTokenFile: api.file,
      pollSeconds: 3600,
      resyncSeconds: 3600,
      log: quietLog,
      docker: new Docker({ socketPath: proxy.socketPath }),
    });
    daemons.push(daemon);
    await waitFor(async () => daemon.status().lastRun?.ok === false, "the first run to fail", 10_000, 100);
    expect(daemon.status().engineReachable).toBe(false);
    expect(daemon.status().lastRun?.error).toMatch(/engine unreachable/);
    const ready = await get(daemon.port, "/readyz");
    expect(ready.status).toBe(503);
    expect(ready.body).toContain("the engine was unreachable at the last check");

    symlinkSync("/var/run/docker.sock", target); // dockerd is back
    await waitFor(async () => daemon.status().lastRun?.ok === true, "a retry to succeed", 30_000, 200);
    expect(daemon.status().engineReachable).toBe(true);
    expect((await get(daemon.port, "/readyz")).status).toBe(200);
    const metrics = await get(daemon.port, "/metrics");
    expect(metrics.body).toMatch(/^simulium_reconcile_failures_total [1-9]/m);
  } finally {
    await proxy.close();
  }
});
