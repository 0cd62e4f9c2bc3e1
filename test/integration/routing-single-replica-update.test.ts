import Docker from "dockerode";
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import type { ApiTask } from "../../controller/engine/api-types";
import { freePort, httpGet } from "../harness/http";
import { images } from "../harness/images";
import { clusterYaml, siteYaml } from "../support/manifests";
import { LoadFigures, pacedLoad } from "../support/paced-load";
import { reconcileRepo } from "../support/reconcile";
import { createRepo, TestRepo } from "../support/repo";
import { execInService, removeInstance, testInstance, waitFor } from "../support/swarm";

jest.setTimeout(600_000);

/**
 * A site with one web task is updated without a single non-200 answer through Varnish: Swarm
 * starts the new task first and keeps the old one until the new one passes its health check;
 * apply moves the VCL to the new task; the old task, told to stop, keeps serving STOP_DELAY
 * seconds (the web image contract) while the VCL drops it.
 *
 * A real Drupal image's entrypoint works before Apache listens (settings, permissions, waiting
 * for the database); the harness image starts Apache at once, so the site's command adds 3 s of
 * such start-up. Without the health check Swarm calls the new task running at container start
 * and stops the old one while the new one does not listen yet.
 */
const docker = new Docker();
const instance = testInstance("one");
const site = `${instance}-s`;
const host = `www.${site}.test`;
const RATE = 20;
const MAX_SECONDS = 60;
let port = 0;
let stateDir = "";
let repo: TestRepo;
/** The harness's web image, by its content tag; and the same image under this test's own tag. */
const web = images().web;
const retagged = `simulium/web:${instance}`;

const SLOW_START = 'command: ["sh", "-c", "sleep 3; exec /usr/local/bin/web-entrypoint"]';
const writeSite = (version: string, image = web) =>
  repo.write(`sites/${site}.yaml`, siteYaml(site, { domains: [host], volumes: false, replicas: 1, version, image, web: [SLOW_START], healthInterval: null }));

async function webTasks(): Promise<ApiTask[]> {
  return (await docker.listTasks({ filters: { service: [`${site}_web`] } })) as ApiTask[];
}

/** Traffic while `update` runs, until the replaced task's container is gone (bounded). */
async function underLoad(update: () => Promise<void>, version: string): Promise<LoadFigures> {
  const before = new Set((await webTasks()).filter((t) => t.DesiredState === "running").map((t) => t.ID));
  const traffic = pacedLoad({ port, host, rate: RATE, maxSeconds: MAX_SECONDS });
  try {
    await update();
    await waitFor(async () => (await httpGet("127.0.0.1", port, "/", { Host: host })).body.includes(`version: ${version}`), `version ${version} to be served`, 30_000, 250);
    // The old task stops after Swarm's signal plus the image's STOP_DELAY: the traffic covers it.
    await waitFor(async () => (await webTasks()).filter((t) => before.has(t.ID)).every((t) => t.Status?.State !== "running"), "the old task to stop", 45_000, 250);
    await new Promise((r) => setTimeout(r, 1000));
  } catch (err) {
    await traffic.stop();
    throw err;
  }
  return traffic.stop();
}

beforeAll(async () => {
  // The contract under test lives in the web image: a stale build would test the old one.
  execFileSync("docker", ["run", "--rm", "--entrypoint", "test", web, "-x", "/usr/local/bin/serve-after-term"]);
  execFileSync("docker", ["tag", web, retagged]);
  port = await freePort();
  stateDir = mkdtempSync(path.join(os.tmpdir(), "simulium-state-"));
  repo = await createRepo({ "simulium.yaml": clusterYaml(instance, `  varnish: {image: "simulium/varnish:local", port: ${port}}\n`) });
  writeSite("1");
  const out = await reconcileRepo(docker, repo.dir, await repo.commit("site v1"), { stateDir });
  expect(out.result.ok).toBe(true);
  await waitFor(async () => {
    const r = await httpGet("127.0.0.1", port, "/", { Host: host }).catch(() => null);
    return r?.status === 200 && r.body.includes("version: 1");
  }, `${host} to serve version 1`, 120_000, 500);
});

afterAll(async () => {
  await removeInstance(docker, instance);
  repo?.cleanup();
  if (stateDir) rmSync(stateDir, { recursive: true, force: true });
  execFileSync("docker", ["image", "rm", retagged], { stdio: "ignore" });
});

describe("zero non-200 answers while a single-replica site is updated", () => {
  it("on an env update", async () => {
    const figures = await underLoad(async () => {
      writeSite("2");
      const out = await reconcileRepo(docker, repo.dir, await repo.commit("site v2"), { stateDir });
      expect(out.result.ok).toBe(true);
    }, "2");
    console.log(`1-replica env update: ${figures.requests} requests, ${figures.failures} failures in ${figures.seconds.toFixed(1)} s ${JSON.stringify(figures)}`);
    expect(figures.versions["2"] ?? 0).toBeGreaterThan(0);
    expect(figures.requests).toBeGreaterThan(RATE * 5);
    expect({ failures: figures.failures, samples: figures.samples }).toEqual({ failures: 0, samples: [] });
    // Routed by the VCL compiled while the new task was starting (routing/anticipate.ts), cold
    // until used: no compile once Swarm reported it running, and still no failed request.
    const vcls = await execInService(docker, `${instance}_varnish`, ["varnishadm", "vcl.list"]);
    expect(/\bl_g\S+\s+->\s+(\S+)/.exec(vcls.output)?.[1]).toMatch(/^p_[0-9a-f]{12}_\d+$/);
  });

  it("then on an image update", async () => {
    // The same image under another tag: another reference, so Swarm replaces the task.
    const tagged = retagged;
    const figures = await underLoad(async () => {
      writeSite("3", tagged);
      const out = await reconcileRepo(docker, repo.dir, await repo.commit("site v3, image by tag"), { stateDir });
      expect(out.result.ok).toBe(true);
    }, "3");
    console.log(`1-replica image update: ${figures.requests} requests, ${figures.failures} failures in ${figures.seconds.toFixed(1)} s ${JSON.stringify(figures)}`);
    expect((await webTasks()).filter((t) => t.Status?.State === "running").map((t) => t.Spec?.ContainerSpec?.Image?.split("@")[0])).toEqual([tagged]);
    expect(figures.requests).toBeGreaterThan(RATE * 5);
    expect({ failures: figures.failures, samples: figures.samples }).toEqual({ failures: 0, samples: [] });
  });
});
