import Docker from "dockerode";
import { mkdtempSync, rmSync } from "node:fs";
import http from "node:http";
import os from "node:os";
import path from "node:path";
import { createTrigger } from "../../controller/daemon/single-flight";
import { watchRouting } from "../../controller/routing/watch";
import { freePort } from "../harness/http";
import { clusterYaml, siteYaml } from "../support/manifests";
import { reconcileRepo, syncLikeTheDaemon as syncDaemonStyle } from "../support/reconcile";
import { createRepo, TestRepo } from "../support/repo";
import { removeInstance, testInstance, waitFor } from "../support/swarm";

jest.setTimeout(600_000);

/**
 * A rolling update of a site with two tasks must never answer 5xx through Varnish: neither the
 * start-first update apply makes, nor tasks replaced outside a reconcile (`docker service
 * update --force`) followed by the routing sync the daemon makes on task events.
 */
const docker = new Docker();
const instance = testInstance("ru");
const site = `${instance}-s`;
const host = `www.${site}.test`;
let port = 0;
let stateDir = "";
let repo: TestRepo;
const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });

function get(): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.get({ host: "127.0.0.1", port, path: "/", headers: { Host: host }, agent, timeout: 15_000 }, (res) => {
      let body = "";
      res.on("data", (c: Buffer) => (body += c.toString("utf8")));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on("timeout", () => req.destroy(new Error("timeout")));
    req.on("error", reject);
  });
}

interface Tally {
  sent: number;
  byStatus: Record<string, number>;
  versions: Record<string, number>;
  /** The first few 5xx answers, for the failure message. */
  failures: string[];
}

/**
 * Sequential requests until `stop()` (or a hard bound in count and time), tallied by status and
 * by the SITE_VERSION that answered. A transport error counts as status "error".
 */
function load(): { stop: () => Promise<Tally> } {
  const tally: Tally = { sent: 0, byStatus: {}, versions: {}, failures: [] };
  let stopping = false;
  const deadline = Date.now() + 300_000;
  const loop = (async () => {
    while (!stopping && tally.sent < 200_000 && Date.now() < deadline) {
      tally.sent++;
      let status: string;
      try {
        const r = await get();
        status = String(r.status);
        const v = /version: (\S+)/.exec(r.body)?.[1] ?? "none";
        if (r.status === 200) tally.versions[v] = (tally.versions[v] ?? 0) + 1;
        if (r.status >= 500 && tally.failures.length < 5) tally.failures.push(`${r.status} at ${new Date().toISOString()}: ${r.body.slice(0, 120)}`);
      } catch (err) {
        status = "error";
        if (tally.failures.length < 5) tally.failures.push(`error: ${(err as Error).message}`);
      }
      tally.byStatus[status] = (tally.byStatus[status] ?? 0) + 1;
    }
  })();
  return {
    stop: async () => {
      stopping = true;
      await loop;
      return tally;
    },
  };
}

const fiveXx = (t: Tally): number => Object.entries(t.byStatus).filter(([s]) => s === "error" || s.startsWith("5")).reduce((n, [, c]) => n + c, 0);

const writeSite = (version: string) => repo.write(`sites/${site}.yaml`, siteYaml(site, { domains: [host], volumes: false, replicas: 2, version }));

const syncLikeTheDaemon = () => syncDaemonStyle(docker, repo.dir, stateDir, instance);

/**
 * What `simulium run` does between reconciles: a routing sync on every burst of container
 * start/die events of the instance, runs never overlapping (the daemon's own watcher and
 * single-flight trigger).
 */
function followLikeTheDaemon(): { stop: () => Promise<number> } {
  let runs = 0;
  const trigger = createTrigger(
    async () => {
      runs++;
      const r = await syncLikeTheDaemon();
      if (!r.ok) throw new Error(`routing sync failed: ${JSON.stringify(r)}`);
    },
    { onError: (err) => console.error(err) },
  );
  const watch = watchRouting(docker, instance, () => void trigger.trigger("tasks"));
  return {
    stop: async () => {
      watch.stop();
      await trigger.stop();
      return runs;
    },
  };
}

beforeAll(async () => {
  port = await freePort();
  stateDir = mkdtempSync(path.join(os.tmpdir(), "simulium-state-"));
  repo = await createRepo({ "simulium.yaml": clusterYaml(instance, `  varnish: {image: "simulium/varnish:local", port: ${port}}\n`) });
  writeSite("1");
  const out = await reconcileRepo(docker, repo.dir, await repo.commit("site v1"), { stateDir });
  expect(out.result.ok).toBe(true);
  let last = "";
  await waitFor(async () => {
    const r = await get().catch((err: Error) => ({ status: 0, body: err.message }));
    last = `${r.status} ${r.body.slice(0, 200)}`;
    return r.status === 200 && r.body.includes("version: 1");
  }, `${host} to serve version 1`, 120_000, 500).catch((err: Error) => {
    throw new Error(`${err.message}; last answer: ${last}`);
  });
});

afterAll(async () => {
  agent.destroy();
  await removeInstance(docker, instance);
  repo?.cleanup();
  if (stateDir) rmSync(stateDir, { recursive: true, force: true });
});

describe("zero 5xx during a rolling update", () => {
  it("while apply rolls the site to a new version", async () => {
    const traffic = load();
    writeSite("2");
    const out = await reconcileRepo(docker, repo.dir, await repo.commit("site v2"), { stateDir });
    expect(out.result.ok).toBe(true);
    expect(out.routing?.ok).toBe(true);
    await waitFor(async () => (await get()).body.includes("version: 2"), "version 2 to be served", 60_000, 200);
    // A little more traffic after the switch: old tasks are still being stopped.
    await new Promise((r) => setTimeout(r, 3000));
    const tally = await traffic.stop();
    console.log(`apply rollout: ${JSON.stringify(tally)}`);
    expect(tally.sent).toBeGreaterThan(50);
    expect(tally.versions["2"] ?? 0).toBeGreaterThan(0);
    expect({ fiveXx: fiveXx(tally), failures: tally.failures }).toEqual({ fiveXx: 0, failures: [] });
  });

  it("while the tasks are replaced outside a reconcile, followed by the daemon's routing sync", async () => {
    const daemon = followLikeTheDaemon();
    const traffic = load();
    const service = docker.getService(`${site}_web`);
    const info = (await service.inspect()) as { Version: { Index: number }; Spec: { TaskTemplate: { ForceUpdate?: number } } & Record<string, unknown> };
    await service.update({ ...info.Spec, version: info.Version.Index, TaskTemplate: { ...info.Spec.TaskTemplate, ForceUpdate: (info.Spec.TaskTemplate.ForceUpdate ?? 0) + 1 } });
    await waitFor(async () => {
      const s = (await service.inspect()) as { UpdateStatus?: { State?: string } };
      return s.UpdateStatus?.State === "completed";
    }, `${site}_web to be replaced`, 120_000, 300);
    // The last task events (the old task's die) reach the watcher after the update completes.
    await new Promise((r) => setTimeout(r, 3000));
    const syncs = await daemon.stop();
    const final = await syncLikeTheDaemon();
    expect(final.ok).toBe(true);
    // The daemon's syncs had already moved the VCL to the new tasks.
    expect(final.tasks[0]?.changed).toBe(false);
    expect(syncs).toBeGreaterThan(0);
    const tally = await traffic.stop();
    console.log(`forced replacement: ${JSON.stringify(tally)}`);
    expect(tally.sent).toBeGreaterThan(50);
    expect(tally.versions["2"] ?? 0).toBeGreaterThan(0);
    expect({ fiveXx: fiveXx(tally), failures: tally.failures }).toEqual({ fiveXx: 0, failures: [] });
  });
});
