import { execFile } from "node:child_process";
import os from "node:os";
import type { RepoFile } from "../controller/manifests/read";
import { CLUSTER_RUN_DIR, clusterDown, clusterUp, execInTask, nodeSocket, TestCluster } from "../test/support/cluster";
import { startCountingProxy } from "../test/support/counting-proxy";
import { removeInstance } from "../test/support/swarm";
import { APPLY_CONCURRENCY } from "../controller/apply/schedule";
import { Contender, Env, floorContender, Pass, Shape, simuliumContender, stackDeployContender } from "./contenders";
import type { RoutingPushResult } from "./routing-push";
import type { ServePass } from "./serve-types";
import { floorSeconds } from "./swarm";

/**
 * Figure 8: the 3-node test cluster (harness/cluster.sh: three dockerd in network namespaces
 * on this machine, one swarm), images from its registry with credentials. simulium's initial
 * converge of N sites and the `docker stack deploy` loop of the same sites, one changed site
 * until every node's Varnish serves it, and routing pushes to every node's Varnish task.
 * Brings the cluster up, and down at the end (also on failure).
 */

const REGISTRY = "10.78.0.1:5000";
const VARNISH_PORT = 18080;
const NODES = 3;
const IMAGES = ["simulium/web:local", "simulium/mariadb:local", "simulium/varnish:local"];
const nodeIp = (k: number): string => `10.78.0.${10 + k}`;

export interface ClusterContender {
  readonly initial: Pass;
  readonly serve: ServePass | null;
}

export interface ClusterResult {
  readonly nodes: number;
  readonly sites: number;
  readonly date: string;
  readonly floorSeconds: number | null;
  /**
   * The engines' floor for the same initial converge (bench/floor.ts): the same objects made by a
   * bare script with apply's concurrency, until every task runs (absent in older results).
   */
  readonly floorConverge?: Pass;
  readonly simulium: ClusterContender;
  readonly stackDeploy: ClusterContender;
  readonly routingPush: RoutingPushResult | null;
  readonly loadAverage: { readonly start: readonly number[]; readonly end: readonly number[] };
  readonly wallSeconds: number;
}

/** The synthetic repository on the cluster: registry images, its credentials, Varnish on every node. */
function clusterFiles(files: RepoFile[]): RepoFile[] {
  return files.map((f) =>
    f.path === "simulium.yaml"
      ? { path: f.path, text: `${f.text.replace(/"simulium\//g, `"${REGISTRY}/simulium/`)}  registryAuth: {configFile: "${CLUSTER_RUN_DIR}/registry/docker-config/config.json"}\n` }
      : { path: f.path, text: f.text.replace(/healthcheck: \{interval: 2, timeout: 2\}/, `healthcheck: {interval: ${HEALTH_INTERVAL}, timeout: ${HEALTH_INTERVAL}}`) },
  );
}

/**
 * The web health check's interval on the cluster. The single-node figures check every 2 s (a
 * new task counts as running sooner); 100 tasks on three engines sharing 2 cores with other
 * work then spent the machine on health-check execs, checks timed out, and Swarm restarted
 * healthy tasks (a first run never converged, load average 235). Both contenders get the same.
 */
export const HEALTH_INTERVAL = 5;

function sh(cmd: string, args: readonly string[], env: NodeJS.ProcessEnv): Promise<void> {
  return new Promise((resolve, reject) => execFile(cmd, [...args], { env, maxBuffer: 2 ** 24 }, (err, _out, stderr) => (err ? reject(new Error(`${cmd} ${args.join(" ")}: ${stderr || err.message}`)) : resolve())));
}

/** Every node pulls the images from the registry before anything is measured: no figure includes a first pull. */
async function prePull(cluster: TestCluster): Promise<void> {
  const env = { ...process.env, DOCKER_CONFIG: `${CLUSTER_RUN_DIR}/registry/docker-config` };
  await Promise.all(cluster.nodes.map(async (n) => {
    for (const image of IMAGES) await sh("docker", ["-H", `unix://${nodeSocket(n.index)}`, "pull", "-q", `${REGISTRY}/${image}`], env);
  }));
}

export async function clusterFigures(opts: { readonly sites: number; readonly timeoutMs: number; readonly cli: string; readonly runId: string; readonly log: (msg: string) => void }): Promise<ClusterResult> {
  const { log } = opts;
  const started = Date.now();
  const loadAtStart = os.loadavg();
  // harness/cluster.sh of this checkout (bench.sh runs from its root), not of the compiled copy.
  process.env.SIMULIUM_REPO_ROOT ??= process.cwd();
  process.env.SIMULIUM_CLUSTER_REGISTRY_IMAGES = ["simulium/busybox:local", ...IMAGES].join(" ");
  log(`cluster: harness/cluster.sh up ${NODES}`);
  const cluster = await clusterUp(NODES);
  const created = new Set<string>();
  const proxy = await startCountingProxy(nodeSocket(1));
  try {
    log("cluster: every node pulls the images from the registry");
    await prePull(cluster);
    const env: Env = { direct: cluster.manager, proxy, timeoutMs: opts.timeoutMs, cli: opts.cli, log };
    const shape: Shape = {
      files: clusterFiles,
      varnish: (port) => `  varnish: {image: "simulium/varnish:local", port: ${port}, replicas: ${NODES}}\n`,
      varnishPort: VARNISH_PORT,
      varnishHosts: cluster.nodes.map((n) => nodeIp(n.index)),
      // What an operator runs on a cluster with a private registry: every node pulls with the credentials, by digest.
      stackDeployFlags: ["--with-registry-auth", "--resolve-image", "always"],
      stackDeployEnv: { DOCKER_CONFIG: `${CLUSTER_RUN_DIR}/registry/docker-config` },
      // The web task may run on any node: exec through that node's engine.
      page: async (service) => {
        const r = await execInTask(cluster, service, ["curl", "-fsS", "--max-time", "5", "http://127.0.0.1/"]);
        if (r.exitCode !== 0) throw new Error(`curl in ${service} exited ${r.exitCode}: ${r.stderr}`);
        return r.stdout;
      },
    };
    const floorInstance = `bench${opts.runId}cf`;
    created.add(floorInstance);
    const floor = await floorSeconds(cluster.manager, floorInstance).catch(() => null);
    await removeInstance(cluster.manager, floorInstance).then(() => created.delete(floorInstance));
    log(`cluster: floor ${floor?.toFixed(1) ?? "?"} s`);
    let push: RoutingPushResult | null = null;
    const one = async (c: Contender, withPush: boolean): Promise<ClusterContender> => {
      created.add(c.instance);
      try {
        log(`cluster ${c.instance}: initial converge of ${opts.sites} sites on ${NODES} nodes`);
        const initial = await c.initial();
        log(`cluster ${c.instance}: ${initial.seconds.toFixed(1)} s${initial.ok ? "" : ` (${initial.error ?? "failed"})`}; one site changed, until it serves`);
        if (!initial.ok) return { initial, serve: null };
        const serve = await c.serve().catch((err: unknown): ServePass => ({ ok: false, seconds: 0, changedSite: "?", via: "exec", probes: 0, error: err instanceof Error ? err.message : String(err) }));
        log(`cluster ${c.instance}: serves after ${serve.seconds.toFixed(2)} s${serve.error ? ` (${serve.error})` : ""}${serve.perHost ? ` ${JSON.stringify(serve.perHost)}` : ""}`);
        if (withPush && serve.ok && c.routingPush) {
          push = await c.routingPush(5).catch((err: unknown): RoutingPushResult => ({ varnishTasks: 0, relayed: 0, execSeconds: [], jobSeconds: [], servedEverywhere: false, error: err instanceof Error ? err.message : String(err) }));
        }
        return { initial, serve };
      } finally {
        c.dispose();
        log(`cluster: removing ${c.instance}`);
        await removeInstance(cluster.manager, c.instance).then(() => created.delete(c.instance), (err: unknown) => log(`cluster: cleanup of ${c.instance} failed: ${String(err)}`));
      }
    };
    const floorC = floorContender(env, `bench${opts.runId}cz${opts.sites}`, opts.sites, APPLY_CONCURRENCY, shape);
    created.add(floorC.instance);
    log(`cluster ${floorC.instance}: the engines' floor, initial converge of ${opts.sites} sites`);
    const floorConverge = await floorC.initial();
    log(`cluster ${floorC.instance}: ${floorConverge.seconds.toFixed(1)} s${floorConverge.ok ? "" : ` (${floorConverge.error ?? "failed"})`}`);
    await removeInstance(cluster.manager, floorC.instance).then(() => created.delete(floorC.instance));
    const simulium = await one(simuliumContender(env, `bench${opts.runId}c${opts.sites}`, opts.sites, shape), true);
    const stackDeploy = await one(stackDeployContender(env, `bench${opts.runId}k${opts.sites}`, opts.sites, shape), false);
    return { nodes: NODES, sites: opts.sites, date: new Date().toISOString(), floorSeconds: floor, floorConverge, simulium, stackDeploy, routingPush: push, loadAverage: { start: loadAtStart, end: os.loadavg() }, wallSeconds: (Date.now() - started) / 1000 };
  } finally {
    for (const instance of created) await removeInstance(cluster.manager, instance).catch(() => undefined);
    await proxy.close();
    // BENCH_KEEP_CLUSTER=1: left up for a cluster test run next (harness/cluster.sh down removes it).
    if (process.env.BENCH_KEEP_CLUSTER === "1") log("cluster: left up (BENCH_KEEP_CLUSTER=1)");
    else {
      log("cluster: harness/cluster.sh down");
      clusterDown();
    }
  }
}
