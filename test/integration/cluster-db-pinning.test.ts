import Docker from "dockerode";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import os from "node:os";
import path from "node:path";
import type { RunningDaemon } from "../../controller/daemon/daemon";
import { httpGet } from "../harness/http";
import { writeApiToken } from "../support/api-token";
import { startTestDaemon } from "../support/daemon";
import { LABEL } from "../../controller/desired/labels";
import { planRepo } from "../../controller/features";
import { siteStatuses } from "../../controller/reconcile/status";
import { isMutation } from "../../controller/plan/types";
import { CLUSTER_REGISTRY, CLUSTER_REGISTRY_AUTH, clusterUp, crashNode, execInTask, removeNodeVolumes, runningTask, setAvailability, tasksOf, TestCluster, volumesByNode } from "../support/cluster";
import { startCountingProxy } from "../support/counting-proxy";
import { clusterYaml } from "../support/manifests";
import { createRepo, TestRepo } from "../support/repo";
import { reconcileRepo } from "../support/reconcile";
import { removeInstance, testInstance, waitFor } from "../support/swarm";

/**
 * A site's database on a real 3-node swarm (harness/cluster.sh): pinned to one node from its
 * first deploy, its volume made by that node's engine; draining the node leaves the database
 * waiting there (never started empty elsewhere) and the site degraded; making it active again
 * brings the same data back.
 */

const instance = testInstance("pin");
const siteName = `${instance}-shop`;
const db = `${siteName}_db`;
let cluster: TestCluster;
let repo: TestRepo;
let stateDir: string;

// The daemon's webhook receiver (spec.notifications of simulium.yaml), on loopback.
const events: { readonly event: string; readonly body: Record<string, unknown> }[] = [];
const receiver = http.createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on("data", (c: Buffer) => chunks.push(c));
  req.on("end", () => {
    events.push({ event: String(req.headers["x-simulium-event"]), body: JSON.parse(Buffer.concat(chunks).toString()) as Record<string, unknown> });
    res.writeHead(204).end();
  });
});

// Busybox as the web image keeps the images loaded into the nodes small; MariaDB is pulled from
// the cluster's registry by the pinned node. The row is written and read with the MariaDB client
// of the database's own container.
const siteYaml = `apiVersion: simulium/v1
kind: Site
metadata: {name: ${siteName}}
spec:
  domains: [${siteName}.test]
  web: {image: "simulium/busybox:local", command: [sleep, "1000000"], replicas: 1}
  database: {name: shop, user: shop, image: "${CLUSTER_REGISTRY}/simulium/mariadb:local"}
  placement: {constraints: ["node.role==worker"]}
`;
const sql = (query: string): string[] => ["sh", "-c", `mariadb -uroot -p"$(cat /run/secrets/db-root-password)" shop -N -e ${JSON.stringify(query)}`];

beforeAll(async () => {
  cluster = await clusterUp(3);
  await new Promise<void>((resolve) => receiver.listen(0, "127.0.0.1", resolve));
  const hook = `  notifications: {webhooks: [{url: "http://127.0.0.1:${(receiver.address() as AddressInfo).port}/events"}]}\n`;
  stateDir = mkdtempSync(path.join(os.tmpdir(), "simulium-pin-"));
  repo = await createRepo({ "simulium.yaml": clusterYaml(instance, `${hook}  registryAuth: {configFile: "${CLUSTER_REGISTRY_AUTH}"}\n`), [`sites/${siteName}.yaml`]: siteYaml });
});

afterAll(async () => {
  // Whatever happened, the nodes take tasks again for the next file.
  for (const n of cluster?.nodes ?? []) await setAvailability(cluster, n.id, "active").catch(() => undefined);
  if (cluster) await removeInstance(cluster.manager, instance);
  if (cluster) await removeNodeVolumes(cluster, instance);
  repo?.cleanup();
  receiver.close();
  if (stateDir) rmSync(stateDir, { recursive: true, force: true });
});


const status = async () => {
  const ctx = await planRepo(cluster.manager, repo.dir, { liveTasks: "all" });
  const s = siteStatuses(ctx.live, ctx.plan).find((x) => x.site === siteName);
  return { s, mutations: ctx.plan.actions.filter(isMutation) };
};

let pinned: string;

test("the database is pinned to a worker from its first deploy, its volume made by that node's engine", async () => {
  const out = await reconcileRepo(cluster.manager, repo.dir, await repo.commit("add the shop"));
  expect(out.result.ok).toBe(true);
  const service = (await cluster.manager.getService(db).inspect()) as { Spec: { Labels: Record<string, string>; TaskTemplate: { Placement?: { Constraints?: string[] } } } };
  pinned = service.Spec.Labels[LABEL.node] as string;
  const node = cluster.byId(pinned);
  expect(node.hostname).not.toBe("node1");
  expect(service.Spec.TaskTemplate.Placement?.Constraints).toContain(`node.id==${pinned}`);
  expect((await runningTask(cluster, db)).node.id).toBe(pinned);
  // Only the pinned node has the data volume: the manager made none.
  const volumes = await volumesByNode(cluster, `${siteName}_db-data`);
  expect(volumes).toEqual({ node1: [], node2: [], node3: [], [node.hostname]: [`${siteName}_db-data`] });

  await waitFor(async () => ((await execInTask(cluster, db, sql("SELECT 1"))).exitCode === 0 ? true : undefined), "MariaDB to answer", 180_000, 2000);
  const write = await execInTask(cluster, db, sql("CREATE TABLE t (v INT); INSERT INTO t VALUES (42)"));
  expect(write.stderr).toBe("");
  expect(write.exitCode).toBe(0);
});

test("a second apply makes no mutating engine call and the plan is empty", async () => {
  const proxy = await startCountingProxy(cluster.managerSocket);
  try {
    const counted = new Docker({ socketPath: proxy.socketPath });
    const again = await reconcileRepo(counted, repo.dir, "again");
    expect(again.mutations).toBe(0);
    expect(proxy.mutating()).toEqual([]);
  } finally {
    await proxy.close();
  }
  const { s, mutations } = await status();
  expect(mutations).toEqual([]);
  expect(s?.state).toBe("converged");
});

test("draining the pinned node leaves the site degraded, its database waiting there, nothing started elsewhere", async () => {
  const node = cluster.byId(pinned);
  await setAvailability(cluster, pinned, "drain");
  const degraded = await waitFor(async () => {
    const { s } = await status();
    return s?.state === "degraded" ? s : undefined;
  }, "the site to be degraded", 60_000);
  expect(degraded.lastError).toBe(`node ${node.hostname} unavailable (drained)`);

  // A reconcile while drained changes nothing (the constraint already says where).
  const during = await reconcileRepo(cluster.manager, repo.dir, "while-drained");
  expect(during.mutations).toBe(0);
  expect((await status()).mutations).toEqual([]);

  // Swarm stops the task on the drained node and keeps its replacement pending: give it time
  // to misbehave, then check no database task runs and no node but the pinned one has the volume.
  await waitFor(async () => ((await tasksOf(cluster, db)).every((t) => t.Status?.State !== "running") ? true : undefined), "the database task to stop", 60_000);
  await new Promise((r) => setTimeout(r, 10_000));
  const tasks = await tasksOf(cluster, db);
  expect(tasks.filter((t) => t.Status?.State === "running")).toEqual([]);
  expect(tasks.filter((t) => t.DesiredState === "running").every((t) => t.Status?.State === "pending")).toBe(true);
  const volumes = await volumesByNode(cluster, `${siteName}_db-data`);
  expect(volumes).toEqual({ node1: [], node2: [], node3: [], [node.hostname]: [`${siteName}_db-data`] });
});

test("once the node is active again, the site converges with the row written before", async () => {
  await setAvailability(cluster, pinned, "active");
  expect((await runningTask(cluster, db)).node.id).toBe(pinned);
  const row = await waitFor(async () => {
    const r = await execInTask(cluster, db, sql("SELECT v FROM t")).catch(() => undefined);
    return r?.exitCode === 0 ? r.stdout.trim() : undefined;
  }, "the row", 180_000, 2000);
  expect(row).toBe("42");
  const converged = await waitFor(async () => {
    const { s } = await status();
    return s?.state === "converged" ? s : undefined;
  }, "the site to converge", 60_000);
  expect(converged.lastError).toBeNull();
  expect((await status()).mutations).toEqual([]);
});

test("when the pinned node loses power (link down, its engine, containerd and MariaDB SIGKILLed) the daemon reports the site degraded within its resync interval and notifies once, nothing starts elsewhere, and its reboot brings the data back with one recovery notice", async () => {
  const node = cluster.byId(pinned);
  const RESYNC = 15;
  const api = writeApiToken(stateDir);
  writeFileSync(path.join(stateDir, "hook-secret"), "pin-hook-secret");
  const d: RunningDaemon = await startTestDaemon({
    repo: repo.dir,
    stateDir,
    docker: cluster.manager,
    resyncSeconds: RESYNC,
    apiTokenFile: api.file,
    notify: { secretFile: path.join(stateDir, "hook-secret") },
  });
  const get = async (what: "/status" | "/metrics") => {
    const r = await httpGet(d.host, d.port, what, api.headers);
    expect(r.status).toBe(200);
    return r.body;
  };
  const shown = async () => (JSON.parse(await get("/status")) as { sites: { site: string; state: string; lastError: string | null; node?: { hostname: string; unavailable: string | null } }[] }).sites.find((x) => x.site === siteName);
  const of = (type: string) => events.filter((e) => e.event === type && e.body.site === siteName);
  try {
    await waitFor(async () => (d.status().lastRun?.ok ? true : undefined), "the daemon's first reconcile", 120_000, 500);
    expect(await shown()).toMatchObject({ state: "converged", lastError: null, node: { hostname: node.hostname, unavailable: null } });
    expect(await get("/metrics")).toContain(`simulium_site_node_unavailable{site="${siteName}",node="${node.hostname}"} 0`);

    await crashNode(node.index);
    // From the moment the manager marks the node down, the next resync notices it.
    await waitFor(async () => ((await cluster.manager.getNode(pinned).inspect()) as { Status?: { State?: string } }).Status?.State === "down" || undefined, "the manager to mark the node down", 90_000, 500);
    const downAt = Date.now();
    const degraded = await waitFor(async () => {
      const s = await shown();
      return s?.state === "degraded" ? s : undefined;
    }, "/status to show the site degraded", (RESYNC + 30) * 1000, 500);
    const seenAfter = Date.now() - downAt;
    process.stdout.write(`[cluster-db-pinning] node down → /status degraded: ${seenAfter} ms (resync ${RESYNC} s)\n`);
    expect(seenAfter).toBeLessThanOrEqual((RESYNC + 30) * 1000);
    expect(degraded.lastError).toBe(`node ${node.hostname} unavailable (down)`);
    expect(await get("/metrics")).toContain(`simulium_site_node_unavailable{site="${siteName}",node="${node.hostname}"} 1`);
    await waitFor(async () => (of("site.degraded").length > 0 ? true : undefined), "the degraded notification", 15_000, 200);
    expect(of("site.degraded").map((e) => e.body)).toEqual([
      expect.objectContaining({ type: "site.degraded", site: siteName, node: node.hostname, nodeId: pinned, reason: "down", message: `node ${node.hostname} unavailable (down)`, instance }),
    ]);

    // The manager reschedules tasks of a down node; the database's constraint keeps its task pending.
    // Meanwhile a later resync finds the site still degraded: no second notification.
    const runBefore = d.status().lastRun?.at;
    await waitFor(async () => (d.status().lastRun?.at !== runBefore && d.status().lastRun?.ok ? true : undefined), "another resync", (RESYNC + 30) * 1000, 500);
    expect(of("site.degraded")).toHaveLength(1);
    const elsewhere = (await tasksOf(cluster, db)).filter((t) => t.Status?.State === "running" && t.NodeID !== pinned);
    expect(elsewhere).toEqual([]);
    const others = cluster.nodes.filter((n) => n.id !== pinned);
    const volumes = await volumesByNode({ ...cluster, nodes: others }, `${siteName}_db-data`);
    expect(Object.values(volumes).flat()).toEqual([]);
    expect(of("site.node-recovered")).toEqual([]);

    cluster = await clusterUp(3);
    expect((await runningTask(cluster, db)).node.id).toBe(pinned);
    const row = await waitFor(async () => {
      const r = await execInTask(cluster, db, sql("SELECT v FROM t")).catch(() => undefined);
      return r?.exitCode === 0 ? r.stdout.trim() : undefined;
    }, "the row", 180_000, 2000);
    expect(row).toBe("42");
    await waitFor(async () => ((await status()).s?.state === "converged" ? true : undefined), "the site to converge", 90_000);
    await waitFor(async () => ((await shown())?.state === "converged" ? true : undefined), "/status to show the site converged", (RESYNC + 30) * 1000, 500);
    await waitFor(async () => (of("site.node-recovered").length > 0 ? true : undefined), "the recovery notification", 15_000, 200);
    expect(of("site.node-recovered").map((e) => e.body)).toEqual([expect.objectContaining({ type: "site.node-recovered", site: siteName, node: node.hostname, nodeId: pinned })]);
    expect(of("site.degraded")).toHaveLength(1);
    expect(await get("/metrics")).toContain(`simulium_site_node_unavailable{site="${siteName}",node="${node.hostname}"} 0`);
  } finally {
    await d.stop();
  }
});
