import Docker from "dockerode";
import { spawn, spawnSync } from "node:child_process";
import { existsSync, writeFileSync } from "node:fs";
import { resolve } from "node:path";
import { LABEL } from "../../controller/desired/labels";
import { execIn, ExecResult } from "../harness/exec";
import { waitFor } from "./swarm";

/**
 * The multi-node test cluster of harness/cluster.sh: N dockerd on this machine, each in its
 * own network and UTS namespace, in one swarm whose manager is node 1. Brought up once for the
 * integration run (a running cluster is reused, so each cluster-*.test.ts file may ask for
 * it) and removed by the integration project's global teardown (test/harness/global-teardown.ts).
 */

// The bench runs compiled in a temporary directory, from the checkout: it names the checkout
// (read when the script runs, after the bench has set it).
const root = (): string => process.env.SIMULIUM_REPO_ROOT ?? resolve(__dirname, "../..");
/** harness/cluster.sh's run directory (SIMULIUM_CLUSTER_RUN_DIR there too). */
export const CLUSTER_RUN_DIR = process.env.SIMULIUM_CLUSTER_RUN_DIR ?? "/run/simulium-cluster";

export interface ClusterNode {
  /** 1-based: node K is `nodeK`, at 10.78.0.(10+K). */
  readonly index: number;
  readonly hostname: string;
  readonly id: string;
  /** Its own engine: containers, volumes and exec of tasks that run there. */
  readonly docker: Docker;
}

export interface TestCluster {
  /** The manager's engine: what simulium talks to. */
  readonly manager: Docker;
  readonly managerSocket: string;
  readonly nodes: readonly ClusterNode[];
  byId(id: string): ClusterNode;
}

/** harness/cluster.sh's registry, and the docker config file with its credentials (what a cluster's registryAuth.configFile names). */
export const CLUSTER_REGISTRY = "10.78.0.1:5000";
export const CLUSTER_REGISTRY_AUTH = `${CLUSTER_RUN_DIR}/registry/docker-config/config.json`;
export const nodeSocket = (k: number): string => `${CLUSTER_RUN_DIR}/node${k}.sock`;

/** The mark a test file of this jest run leaves in the cluster's run directory (global-setup.ts sets the id). */
const runMark = (): string => `${CLUSTER_RUN_DIR}/used-by-${process.env.SIMULIUM_TEST_RUN_ID ?? "unknown"}`;

/** Whether a test file of this jest run brought up or reused the cluster. */
export function clusterUsedByThisRun(): boolean {
  return existsSync(runMark());
}

/**
 * harness/cluster.sh up N (idempotent), then a client per node. `images`: local images loaded
 * into every node besides the default ones (a node that has one already is skipped).
 */
export async function clusterUp(n = 3, opts: { readonly images?: readonly string[] } = {}): Promise<TestCluster> {
  runScript(["up", String(n)], opts.images?.length ? { SIMULIUM_CLUSTER_EXTRA_IMAGES: opts.images.join(" ") } : {});
  writeFileSync(runMark(), "");
  const manager = new Docker({ socketPath: nodeSocket(1) });
  const listed = (await manager.listNodes()) as { ID: string; Description?: { Hostname?: string } }[];
  const nodes = Array.from({ length: n }, (_, i): ClusterNode => {
    const hostname = `node${i + 1}`;
    const found = listed.find((l) => l.Description?.Hostname === hostname);
    if (!found) throw new Error(`the cluster's manager does not list ${hostname}`);
    return { index: i + 1, hostname, id: found.ID, docker: new Docker({ socketPath: nodeSocket(i + 1) }) };
  });
  return {
    manager,
    managerSocket: nodeSocket(1),
    nodes,
    byId: (id) => {
      const node = nodes.find((x) => x.id === id);
      if (!node) throw new Error(`no cluster node ${id}`);
      return node;
    },
  };
}

/** harness/cluster.sh down, when a cluster was made. */
export function clusterDown(): void {
  if (existsSync(CLUSTER_RUN_DIR)) runScript(["down"]);
}

function runScript(args: string[], env: Record<string, string> = {}): void {
  const r = spawnSync("bash", [resolve(root(), "harness/cluster.sh"), ...args], { cwd: root(), env: { ...process.env, ...env }, stdio: ["ignore", "inherit", "inherit"], timeout: 600_000 });
  if (r.status !== 0) throw new Error(`harness/cluster.sh ${args.join(" ")} failed (exit ${r.status ?? r.signal})`);
}

/**
 * Node K loses power (harness/cluster.sh crash): its link goes down and every process of the
 * node, its engine, containerd, shims and containers, is SIGKILLed at once; what a reboot
 * clears goes too. `clusterUp` boots it again with its data root.
 */
export function crashNode(k: number): Promise<void> {
  // Not spawnSync: a test's request loop keeps running through the crash.
  return new Promise((done, fail) => {
    const child = spawn("bash", [resolve(root(), "harness/cluster.sh"), "crash", String(k)], { cwd: root(), stdio: ["ignore", "inherit", "inherit"] });
    child.on("error", fail);
    child.on("exit", (code, signal) => (code === 0 ? done() : fail(new Error(`harness/cluster.sh crash ${k} failed (exit ${code ?? signal})`))));
  });
}

/** `docker node update --availability …` through the manager. */
export async function setAvailability(cluster: TestCluster, nodeId: string, availability: "active" | "drain" | "pause"): Promise<void> {
  const node = cluster.manager.getNode(nodeId);
  const info = (await node.inspect()) as { Version: { Index: number }; Spec: Record<string, unknown> };
  await node.update({ version: info.Version.Index, ...info.Spec, Availability: availability });
}

interface TaskView {
  readonly ID: string;
  readonly NodeID?: string;
  readonly DesiredState?: string;
  readonly Status?: { State?: string; Timestamp?: string; ContainerStatus?: { ContainerID?: string } };
}

/** The tasks of a service, as the manager lists them. */
export async function tasksOf(cluster: TestCluster, service: string): Promise<TaskView[]> {
  return (await cluster.manager.listTasks({ filters: JSON.stringify({ service: [service] }) })) as TaskView[];
}

/** The running task of a one-replica service, once there is one: its node and container. */
export function runningTask(cluster: TestCluster, service: string, timeoutMs = 180_000): Promise<{ node: ClusterNode; containerId: string }> {
  return waitFor(
    async () => {
      const t = (await tasksOf(cluster, service)).find((x) => x.Status?.State === "running" && x.Status.ContainerStatus?.ContainerID);
      return t?.NodeID && t.Status?.ContainerStatus?.ContainerID ? { node: cluster.byId(t.NodeID), containerId: t.Status.ContainerStatus.ContainerID } : undefined;
    },
    `a running task of ${service}`,
    timeoutMs,
  );
}

/** Runs `cmd` in the running task of a service, on whichever node it runs (through that node's engine). */
export async function execInTask(cluster: TestCluster, service: string, cmd: readonly string[]): Promise<ExecResult> {
  const { node, containerId } = await runningTask(cluster, service);
  return execIn(node.docker, containerId, cmd);
}

/** The names of the volumes each node's engine has, by hostname. */
export async function volumesByNode(cluster: TestCluster, nameFilter: string): Promise<Record<string, string[]>> {
  const out: Record<string, string[]> = {};
  for (const n of cluster.nodes) {
    const listed = (await n.docker.listVolumes({ filters: { name: [nameFilter] } })) as { Volumes?: { Name: string }[] | null };
    out[n.hostname] = (listed.Volumes ?? []).map((v) => v.Name).filter((name) => name.includes(nameFilter)).sort();
  }
  return out;
}

/** Every node's own volumes of `instance`, once the removed services' containers let go of them. */
export async function removeNodeVolumes(cluster: TestCluster, instance: string): Promise<void> {
  for (const n of cluster.nodes) {
    await waitFor(async () => {
      const listed = (await n.docker.listVolumes({ filters: { label: [`${LABEL.instance}=${instance}`] } })) as { Volumes?: { Name: string }[] | null };
      for (const v of listed.Volumes ?? []) await n.docker.getVolume(v.Name).remove().catch(() => undefined);
      return (listed.Volumes ?? []).length === 0 ? true : undefined;
    }, "the test's volumes to be removed", 60_000, 2000).catch(() => undefined);
  }
}
