import { LABEL } from "../../controller/desired/labels";
import { planRepo } from "../../controller/features";
import { MoveRefusedError, moveSite, MoveOptions } from "../../controller/move/move";
import { isMutation } from "../../controller/plan/types";
import { siteStatuses } from "../../controller/reconcile/status";
import { CLUSTER_REGISTRY, CLUSTER_REGISTRY_AUTH, clusterUp, execInTask, removeNodeVolumes, runningTask, tasksOf, TestCluster, volumesByNode } from "../support/cluster";
import { clusterYaml } from "../support/manifests";
import { createRepo, TestRepo } from "../support/repo";
import { quietLog, reconcileRepo } from "../support/reconcile";
import { removeInstance, testInstance, waitFor } from "../support/swarm";

/**
 * `simulium move` on a real 3-node swarm (harness/cluster.sh): a site with a row in its
 * database and a file in its volume, pinned to one worker, moved to the other. A first run
 * stopped after its copy leaves the site pinned to the old node; run again, the move finishes:
 * the row and the file are on the new node, the old volumes stay on the old one (plan shows
 * them retained), and the site is converged and serving there.
 */

const TOOLS = "simulium/backup:local";
const instance = testInstance("move");
const siteName = `${instance}-shop`;
const [db, web] = [`${siteName}_db`, `${siteName}_web`];
let cluster: TestCluster;
let repo: TestRepo;

// Busybox httpd serves the files volume; the row is written and read with the database's own client.
const siteYaml = `apiVersion: simulium/v1
kind: Site
metadata: {name: ${siteName}}
spec:
  domains: [${siteName}.test]
  web:
    image: "simulium/busybox:local"
    command: [sh, -c, "httpd -f -p 80 -h /srv/files & trap 'kill $!; exit 0' TERM; wait"]
    replicas: 1
  database: {name: shop, user: shop, image: "${CLUSTER_REGISTRY}/simulium/mariadb:local"}
  volumes: [{name: files, mountPath: /srv/files}]
  placement: {constraints: ["node.role==worker"]}
`;
const sql = (query: string): string[] => ["sh", "-c", `mariadb -uroot -p"$(cat /run/secrets/db-root-password)" shop -N -e ${JSON.stringify(query)}`];
const move = (to: string, extra: Partial<MoveOptions> = {}) =>
  moveSite(cluster.manager, { repo: repo.dir, site: siteName, to, image: TOOLS, timeoutSeconds: 300, log: quietLog, pollMs: 500, ...extra });

beforeAll(async () => {
  cluster = await clusterUp(3, { images: [TOOLS] });
  repo = await createRepo({ "simulium.yaml": clusterYaml(instance, `  registryAuth: {configFile: "${CLUSTER_REGISTRY_AUTH}"}\n`), [`sites/${siteName}.yaml`]: siteYaml });
});

afterAll(async () => {
  if (cluster) await removeInstance(cluster.manager, instance);
  if (cluster) await removeNodeVolumes(cluster, instance);
  repo?.cleanup();
});


const status = async () => {
  const ctx = await planRepo(cluster.manager, repo.dir, { liveTasks: "all" });
  return { s: siteStatuses(ctx.live, ctx.plan).find((x) => x.site === siteName), plan: ctx.plan };
};
const row = () =>
  waitFor(async () => {
    const r = await execInTask(cluster, db, sql("SELECT v FROM t")).catch(() => undefined);
    return r?.exitCode === 0 ? r.stdout.trim() : undefined;
  }, "the row", 180_000, 2000);
const served = () =>
  waitFor(async () => {
    const r = await execInTask(cluster, web, ["wget", "-qO-", "http://127.0.0.1/hello.txt"]).catch(() => undefined);
    return r?.exitCode === 0 ? r.stdout.trim() : undefined;
  }, "the file to be served", 120_000, 1000);

let from: string;
let to: string;

test("a site with a row and a file, pinned to a worker", async () => {
  const out = await reconcileRepo(cluster.manager, repo.dir, await repo.commit("add the shop"));
  expect(out.result.ok).toBe(true);
  const service = (await cluster.manager.getService(db).inspect()) as { Spec: { Labels: Record<string, string> } };
  from = service.Spec.Labels[LABEL.node] as string;
  to = cluster.nodes.find((n) => n.hostname !== "node1" && n.id !== from)!.id;
  await waitFor(async () => ((await execInTask(cluster, db, sql("SELECT 1"))).exitCode === 0 ? true : undefined), "MariaDB to answer", 180_000, 2000);
  expect((await execInTask(cluster, db, sql("CREATE TABLE t (v INT); INSERT INTO t VALUES (42)"))).exitCode).toBe(0);
  // A relative link, as Drupal's files trees have: it must arrive as a link, not rewritten.
  expect((await execInTask(cluster, web, ["sh", "-c", "echo moved-file > /srv/files/hello.txt && ln -s hello.txt /srv/files/latest.txt"])).exitCode).toBe(0);
  expect(await served()).toBe("moved-file");
});

test("refuses, changing nothing: an unknown node, the same node, a node its constraints exclude", async () => {
  await expect(move("node9")).rejects.toBeInstanceOf(MoveRefusedError);
  await expect(move("node9")).rejects.toThrow(/no node "node9" in the swarm: its nodes are .*node1/);
  await expect(move(cluster.byId(from).hostname)).rejects.toThrow(`site ${siteName}: its data is already on node ${cluster.byId(from).hostname}: nothing to move`);
  await expect(move("node1")).rejects.toThrow(/node node1 does not satisfy spec.placement.constraints \(node.role==worker\)/);
  expect((await runningTask(cluster, db)).node.id).toBe(from);
});

test("a move stopped after its copy leaves the site on the old node; run again, it finishes", async () => {
  const first = await move(to, { stopAfter: "verify" });
  expect(first.verified?.files).toBeGreaterThan(0);
  // Held at 0, still pinned to the old node.
  expect((await tasksOf(cluster, db)).filter((t) => t.Status?.State === "running")).toEqual([]);
  expect(((await cluster.manager.getService(db).inspect()) as { Spec: { Labels: Record<string, string> } }).Spec.Labels[LABEL.node]).toBe(from);

  const done = await move(cluster.byId(to).hostname);
  expect(done.plan.resumed).toBe(false);
  expect(done.verified).toEqual(first.verified);
  expect(done.retained).toEqual([`${siteName}_db-data`, `${siteName}_files`]);
});

test("the row and the file are on the new node, the old volumes still on the old one, and the site converged and serving", async () => {
  expect((await runningTask(cluster, db)).node.id).toBe(to);
  expect((await runningTask(cluster, web)).node.id).toBe(to);
  expect(await row()).toBe("42");
  expect(await served()).toBe("moved-file");
  expect((await execInTask(cluster, web, ["readlink", "/srv/files/latest.txt"])).stdout.trim()).toBe("hello.txt");

  const volumes = await volumesByNode(cluster, `${siteName}_`);
  const both = [`${siteName}_db-data`, `${siteName}_files`];
  expect(volumes).toEqual({ node1: [], node2: [], node3: [], [cluster.byId(from).hostname]: both, [cluster.byId(to).hostname]: both });

  const converged = await waitFor(async () => {
    const r = await status();
    return r.s?.state === "converged" ? r : undefined;
  }, "the site to converge", 90_000);
  expect(converged.plan.actions.filter(isMutation)).toEqual([]);
  const kept = converged.plan.actions.filter((a) => a.op === "retain" && a.site === siteName);
  expect(kept.map((a) => (a.op === "retain" ? `${a.name} ${a.reason} ${a.node}` : ""))).toEqual(both.map((v) => `${v} moved-away ${cluster.byId(from).hostname}`));
  // A second apply changes nothing: the switch is what a reconcile renders for the new node.
  const again = await reconcileRepo(cluster.manager, repo.dir, "again");
  expect(again.mutations).toBe(0);
});
