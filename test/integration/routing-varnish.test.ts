import Docker from "dockerode";
import { mkdtempSync, rmSync } from "node:fs";
import http from "node:http";
import { createServer } from "node:net";
import os from "node:os";
import path from "node:path";
import { readLive } from "../../controller/live/read";
import type { Reconciled } from "../../controller/features";
import { clusterYaml, siteYaml } from "../support/manifests";
import { reconcileRepo, syncLikeTheDaemon as syncDaemonStyle } from "../support/reconcile";
import { createRepo, TestRepo } from "../support/repo";
import { removeInstance, testInstance, waitFor } from "../support/swarm";

jest.setTimeout(600_000);

const docker = new Docker();
const instance = testInstance("rt");
const alpha = `${instance}-a`;
const beta = `${instance}-b`;
const dom = (site: string, n: number) => `${n}.${site}.test`;
let port = 0;
let stateDir = "";
let repo: TestRepo;

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const p = (srv.address() as { port: number }).port;
      srv.close(() => resolve(p));
    });
  });
}

function get(host: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.get({ host: "127.0.0.1", port, path: "/", headers: { Host: host }, timeout: 10_000 }, (res) => {
      let body = "";
      res.on("data", (c: Buffer) => (body += c.toString("utf8")));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on("timeout", () => req.destroy(new Error("timeout")));
    req.on("error", reject);
  });
}

const siteOf = (body: string) => /site: (\S+)/.exec(body)?.[1];
const hostOf = (body: string) => /host: (\S+)/.exec(body)?.[1];

function waitForSite(host: string, site: string): Promise<string> {
  return waitFor(async () => {
    const r = await get(host);
    return r.status === 200 && siteOf(r.body) === site ? r.body : undefined;
  }, `${host} to route to ${site}`, 120_000, 500);
}

function cluster(recvSnippet?: string): string {
  const vcl = recvSnippet === undefined ? "" : `, vcl: {recv: ${JSON.stringify(recvSnippet)}}`;
  return clusterYaml(instance, `  varnish: {image: "simulium/varnish:local", port: ${port}${vcl}}\n`);
}

async function apply(commitMessage: string): Promise<Reconciled> {
  const commit = await repo.commit(commitMessage);
  const out = await reconcileRepo(docker, repo.dir, commit, { stateDir });
  expect(out.result.ok).toBe(true);
  return out;
}

const syncLikeTheDaemon = () => syncDaemonStyle(docker, repo.dir, stateDir, instance);

beforeAll(async () => {
  port = await freePort();
  stateDir = mkdtempSync(path.join(os.tmpdir(), "simulium-state-"));
  repo = await createRepo({
    "simulium.yaml": cluster(),
    [`sites/${alpha}.yaml`]: siteYaml(alpha, { domains: [dom(alpha, 1), dom(alpha, 2)], volumes: false }),
    [`sites/${beta}.yaml`]: siteYaml(beta, { domains: [dom(beta, 1), dom(beta, 2)], volumes: false }),
  });
});

afterAll(async () => {
  await removeInstance(docker, instance);
  repo?.cleanup();
  if (stateDir) rmSync(stateDir, { recursive: true, force: true });
});

describe("routing through the managed Varnish", () => {
  it("routes every domain of each site to that site, and unknown hosts to a 404", async () => {
    const out = await apply("two sites");
    expect(out.routing).not.toBeNull();
    expect(out.routing?.ok).toBe(true);
    expect(out.routing?.tasks).toHaveLength(1);
    expect(out.routing?.tasks[0]).toMatchObject({ ok: true, changed: true });
    for (const site of [alpha, beta]) {
      for (const n of [1, 2]) expect(siteOf(await waitForSite(dom(site, n), site))).toBe(site);
    }
    const unknown = await get("nobody.example.org");
    expect(unknown.status).toBe(404);
    expect(unknown.body).toContain("No site is configured for this host");
  });

  it("loads nothing when nothing changed", async () => {
    const out = await apply("no change");
    expect(out.routing?.tasks[0]).toMatchObject({ ok: true, changed: false });
  });

  it("spreads requests over every task of a scaled site", async () => {
    repo.write(`sites/${alpha}.yaml`, siteYaml(alpha, { domains: [dom(alpha, 1), dom(alpha, 2)], volumes: false, replicas: 2 }));
    const out = await apply("scale alpha");
    expect(out.routing?.ok).toBe(true);
    const hosts = new Set<string>();
    await waitFor(async () => {
      const r = await get(dom(alpha, 1));
      if (r.status === 200 && siteOf(r.body) === alpha) hosts.add(hostOf(r.body) ?? "");
      return hosts.size === 2;
    }, "requests to reach both alpha tasks", 60_000, 200);
    expect(hosts.size).toBe(2);
  });

  it("follows tasks replaced outside a reconcile once routing is synced again", async () => {
    const service = docker.getService(`${beta}_web`);
    const info = (await service.inspect()) as { Version: { Index: number }; Spec: { TaskTemplate: { ForceUpdate?: number } } & Record<string, unknown> };
    const before = (await readLive(docker, instance)).tasks.map((t) => t.id);
    await service.update({ ...info.Spec, version: info.Version.Index, TaskTemplate: { ...info.Spec.TaskTemplate, ForceUpdate: (info.Spec.TaskTemplate.ForceUpdate ?? 0) + 1 } });
    await waitFor(async () => {
      const s = (await service.inspect()) as { UpdateStatus?: { State?: string } };
      return s.UpdateStatus?.State === "completed";
    }, `${beta}_web to be replaced`, 120_000, 500);
    const result = await syncLikeTheDaemon();
    expect(result.ok).toBe(true);
    expect(result.tasks[0]?.changed).toBe(true);
    const live = await readLive(docker, instance);
    const betaService = live.services.find((s) => s.name === `${beta}_web`);
    const running = live.tasks.filter((t) => t.serviceId === betaService?.id && t.state === "running" && t.desiredState === "running");
    expect(running).toHaveLength(1);
    expect(running.some((t) => before.includes(t.id))).toBe(false);
    expect(siteOf(await waitForSite(dom(beta, 1), beta))).toBe(beta);
  });

  it("routes a domain moved to another site to its new site", async () => {
    repo.write(`sites/${alpha}.yaml`, siteYaml(alpha, { domains: [dom(alpha, 1)], volumes: false, replicas: 2 }));
    repo.write(`sites/${beta}.yaml`, siteYaml(beta, { domains: [dom(beta, 1), dom(beta, 2), dom(alpha, 2)], volumes: false }));
    const out = await apply("move a domain");
    expect(out.routing?.ok).toBe(true);
    expect(siteOf(await waitForSite(dom(alpha, 2), beta))).toBe(beta);
    expect(siteOf((await get(dom(alpha, 1))).body)).toBe(alpha);
  });

  it("keeps routing when an operator snippet does not compile, and reports the error", async () => {
    repo.write("simulium.yaml", cluster("this is not vcl"));
    const commit = await repo.commit("broken snippet");
    const out = await reconcileRepo(docker, repo.dir, commit, { stateDir });
    expect(out.routing?.ok).toBe(false);
    expect(out.routing?.tasks[0]?.ok).toBe(false);
    expect(out.routing?.tasks[0]?.error).toMatch(/VCL does not compile/);
    expect(out.routing?.tasks[0]?.compileError?.line).toEqual(expect.any(Number));
    expect(siteOf((await get(dom(beta, 1))).body)).toBe(beta);
    expect(siteOf((await get(dom(alpha, 1))).body)).toBe(alpha);
  });
});
