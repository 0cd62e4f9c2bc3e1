import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import type { Reconciled } from "../../controller/features";
import { isMutation } from "../../controller/plan/types";
import { httpGet } from "../harness/http";
import { startTestDaemon } from "../support/daemon";
import { inCidr } from "../../controller/routing/admin-address";
import { CLUSTER_RUN_DIR, clusterUp, crashNode, runningTask, setAvailability, tasksOf, TestCluster } from "../support/cluster";
import { buildControllerImage, CONTROLLER_IMAGE } from "../support/controller-image";
import { clusterYaml } from "../support/manifests";
import { createRepo, TestRepo } from "../support/repo";
import { reconcileRepo } from "../support/reconcile";
import { removeInstance, testInstance, waitFor } from "../support/swarm";

/**
 * Varnish on every node of the 3-node swarm (harness/cluster.sh): three replicas with a
 * host-mode port land one per node, and every routing change reaches every task. The test
 * process runs off the swarm's nodes (like a CLI pointed at a remote manager): it reaches no
 * Varnish admin port itself, so the VCL goes through the relay on the admin network, by exec in
 * the manager node's Varnish task (routing/relay.ts). Draining the node of one of a site's two web tasks under traffic gives
 * no 5xx; a node holding a Varnish task dies: the others keep routing.
 */

const REGISTRY = "10.78.0.1:5000";
const PORT = 18080;
const CONTROLLER_PORT = 19090;
const instance = testInstance("hav");
const siteName = `${instance}-www`;
const nodeIp = (k: number): string => `10.78.0.${10 + k}`;
let cluster: TestCluster;
let repo: TestRepo;
let stateDir: string;

const clusterFile = clusterYaml(
  instance,
  `  registryAuth: {configFile: "${CLUSTER_RUN_DIR}/registry/docker-config/config.json"}
  varnish: {image: "${REGISTRY}/simulium/varnish:local", port: ${PORT}, replicas: 3}
`,
);
const siteYaml = (domains: string[]): string => `apiVersion: simulium/v1
kind: Site
metadata: {name: ${siteName}}
spec:
  domains: [${domains.join(", ")}]
  web:
    image: "simulium/busybox:local"
    command: [sh, -c, "mkdir -p /www && echo page-of-${siteName} > /www/index.html && httpd -f -p 80 -h /www & trap 'kill $!; exit 0' TERM; wait"]
    replicas: 2
  placement: {constraints: ["node.role==worker"]}
`;

const page = (k: number, host: string) => httpGet(nodeIp(k), PORT, "/", { Host: host }, 3000).catch((err: Error) => ({ status: 0, body: err.message, headers: {} }));

async function apply(message: string): Promise<Reconciled> {
  const out = await reconcileRepo(cluster.manager, repo.dir, await repo.commit(message), { stateDir });
  expect(out.result.ok).toBe(true);
  return out;
}

/** Every listed node's Varnish answers the site's page for `host`. */
function servedOn(nodes: number[], host: string): Promise<boolean> {
  return waitFor(async () => {
    const answers = await Promise.all(nodes.map((k) => page(k, host)));
    const wrong = answers.map((r, i) => [nodes[i], r] as const).filter(([, r]) => !(r.status === 200 && r.body.trim() === `page-of-${siteName}`));
    // Thrown, so that a timeout says which node answered what.
    if (wrong.length > 0) throw new Error(wrong.map(([k, r]) => `node${k}: ${r.status} ${r.body.trim().slice(0, 60)}`).join("; "));
    return true;
  }, `${host} served by the Varnish of node ${nodes.join(", ")}`, 60_000, 500);
}

/**
 * Every node's Varnish serving the site again, routed as the daemon routes: a routing pass on
 * every change of the tasks, here one per poll until a Varnish task runs on each of the three
 * nodes, both web tasks run, and every node answers. A drained or dead node's Varnish task is
 * placed again only when the node is back, with a kept VCL that may name moved web tasks, and a
 * node's death moves its web tasks some seconds later.
 */
async function everyNodeRouted(): Promise<void> {
  const since = Date.now();
  let nudged = false;
  await waitFor(async () => {
    const all = await tasksOf(cluster, `${instance}_varnish`);
    const varnish = all.filter((t) => t.Status?.State === "running" && t.DesiredState === "running");
    if (new Set(varnish.map((t) => t.NodeID)).size !== 3) {
      // Swarm places a replica left pending (its host-mode port taken on the other nodes) on a
      // node that came back only on a later scheduling pass, which has taken minutes here. That
      // is the swarm's, not the routing under test: after 45 s the test says what the tasks are
      // and asks for one rescheduling pass (a forced update), as an operator would.
      if (!nudged && Date.now() - since > 45_000) {
        nudged = true;
        const states = all.map((t) => `${cluster.nodes.find((n) => n.id === t.NodeID)?.hostname ?? "unassigned"}:${t.Status?.State}/${t.DesiredState}`).join(", ");
        process.stdout.write(`[cluster-varnish] Varnish on ${varnish.length} node(s) after 45 s (${states}): forcing a rescheduling pass\n`);
        const service = cluster.manager.getService(`${instance}_varnish`);
        const info = (await service.inspect()) as { Version?: { Index?: number }; Spec?: { TaskTemplate?: { ForceUpdate?: number } } & Record<string, unknown> };
        const spec = info.Spec ?? {};
        await service.update({ ...spec, TaskTemplate: { ...spec.TaskTemplate, ForceUpdate: (spec.TaskTemplate?.ForceUpdate ?? 0) + 1 }, version: info.Version?.Index ?? 0 });
      }
      throw new Error(`Varnish runs on ${varnish.length} node(s)`);
    }
    if ((await runningWebTasks()).length !== 2) throw new Error("fewer than 2 running web tasks");
    const routed = await reconcileRepo(cluster.manager, repo.dir, "tasks moved", { stateDir });
    if (routed.routing?.ok !== true) throw new Error(`routing failed: ${JSON.stringify(routed.routing?.tasks.filter((t) => !t.ok))}`);
    const answers = await Promise.all([1, 2, 3].map((k) => page(k, `b.${siteName}.test`)));
    const wrong = answers.map((r, i) => [i + 1, r] as const).filter(([, r]) => !(r.status === 200 && r.body.trim() === `page-of-${siteName}`));
    if (wrong.length > 0) throw new Error(wrong.map(([k, r]) => `node${k}: ${r.status} ${r.body.trim().slice(0, 60)}`).join("; "));
    return true;
  }, `b.${siteName}.test served by the Varnish of every node`, 180_000, 1000);
}

const runningWebTasks = async () =>
  (await tasksOf(cluster, `${siteName}_web`)).filter((t) => t.Status?.State === "running" && t.DesiredState === "running");

beforeAll(async () => {
  cluster = await clusterUp(3);
  stateDir = mkdtempSync(path.join(os.tmpdir(), "simulium-state-"));
  repo = await createRepo({ "simulium.yaml": clusterFile, [`sites/${siteName}.yaml`]: siteYaml([`a.${siteName}.test`]) });
});

afterAll(async () => {
  if (cluster) await removeInstance(cluster.manager, instance);
  repo?.cleanup();
  if (stateDir) rmSync(stateDir, { recursive: true, force: true });
});

test("three Varnish tasks land one per node; the routing of the first apply reaches all three through the relay", async () => {
  const out = await apply("add the site");
  const varnishTasks = await waitFor(async () => {
    const running = (await tasksOf(cluster, `${instance}_varnish`)).filter((t) => t.Status?.State === "running");
    return running.length === 3 ? running : undefined;
  }, "three running Varnish tasks", 120_000);
  expect(new Set(varnishTasks.map((t) => t.NodeID)).size).toBe(3);
  // The tasks may start after the apply's push; a routing pass once they all run reaches every one.
  const routed = out.routing?.tasks.length === 3 ? out : await apply("again, all tasks running");
  expect(routed.routing?.tasks.filter((t) => !t.ok).map((t) => t.error)).toEqual([]);
  expect(routed.routing?.ok).toBe(true);
  expect(routed.routing?.tasks.map((t) => /\(relay by (exec|job)\)$/.test(t.endpoint ?? ""))).toEqual([true, true, true]);
  await servedOn([1, 2, 3], `a.${siteName}.test`);
});

test("the site has no node pin (no data): its web service spreads over the nodes, its two tasks on two different workers", async () => {
  const service = (await cluster.manager.getService(`${siteName}_web`).inspect()) as { Spec: { TaskTemplate: { Placement?: { Constraints?: string[]; Preferences?: unknown[] } } } };
  expect(service.Spec.TaskTemplate.Placement?.Preferences).toEqual([{ Spread: { SpreadDescriptor: "node.id" } }]);
  expect((service.Spec.TaskTemplate.Placement?.Constraints ?? []).filter((c) => c.startsWith("node.id=="))).toEqual([]);
  const web = await waitFor(async () => {
    const running = await runningWebTasks();
    return running.length === 2 ? running : undefined;
  }, "two running web tasks", 60_000);
  const nodes = web.map((t) => cluster.byId(t.NodeID as string).hostname).sort();
  expect(nodes).toEqual(["node2", "node3"]);
});

test("a routing change reaches every node; the same VCL again is sent nowhere", async () => {
  repo.write(`sites/${siteName}.yaml`, siteYaml([`a.${siteName}.test`, `b.${siteName}.test`]));
  const started = Date.now();
  const out = await apply("second domain");
  const pushed = Date.now();
  expect(out.routing?.ok).toBe(true);
  expect(out.routing?.tasks.filter((t) => t.changed)).toHaveLength(3);
  // The manager's engine runs a Varnish task: the relay runs by exec there, no job is started.
  expect(out.routing?.tasks.map((t) => t.endpoint?.replace(/^[0-9.]+:/, ""))).toEqual(["6082 (relay by exec)", "6082 (relay by exec)", "6082 (relay by exec)"]);
  await servedOn([1, 2, 3], `b.${siteName}.test`);
  const served = Date.now();
  process.stdout.write(`[cluster-varnish] apply → new domain served on 3 nodes: ${served - started} ms (the apply with its routing push ${pushed - started} ms; push done → served on all 3: ${served - pushed} ms)\n`);
  // Once the apply reports the VCL active on every task, every node serves it: a bound that only a
  // lost push would exceed (not a latency figure, which a loaded CI machine would make flaky).
  expect(served - pushed).toBeLessThanOrEqual(10_000);

  const again = await apply("nothing new");
  expect(again.mutations).toBe(0);
  expect(again.routing?.tasks.map((t) => [t.ok, t.changed])).toEqual([
    [true, false],
    [true, false],
    [true, false],
  ]);
});

test("draining the node of one of the site's two web tasks under a request loop through Varnish: zero 5xx", async () => {
  const webTasks = (await tasksOf(cluster, `${siteName}_web`)).filter((t) => t.Status?.State === "running" && t.DesiredState === "running");
  expect(webTasks).toHaveLength(2);
  const drained = webTasks[0]?.NodeID as string;
  const statuses = new Map<number, number>();
  let stop = false;
  const loop = (async () => {
    while (!stop) {
      // A retry after a refused or timed-out connect (vcl_backend_error) may take seconds: no 3 s cut here.
      const r = await httpGet(nodeIp(1), PORT, "/", { Host: `b.${siteName}.test` }, 20_000).catch(() => ({ status: 0 }));
      statuses.set(r.status, (statuses.get(r.status) ?? 0) + 1);
    }
  })();
  try {
    const t0 = Date.now();
    await setAvailability(cluster, drained, "drain");
    // Swarm stops the task there and starts its replacement on the other worker.
    await waitFor(async () => {
      const running = (await tasksOf(cluster, `${siteName}_web`)).filter((t) => t.Status?.State === "running" && t.DesiredState === "running");
      return running.length === 2 && running.every((t) => t.NodeID !== drained) ? true : undefined;
    }, "both web tasks off the drained node", 90_000);
    process.stdout.write(`[cluster-varnish] drain → replacement running: ${Date.now() - t0} ms\n`);
    // What the daemon does on the task events: route to the new task (here an apply from the CLI).
    const out = await reconcileRepo(cluster.manager, repo.dir, "after the drain", { stateDir });
    expect(out.routing?.ok).toBe(true);
    process.stdout.write(`[cluster-varnish] drain → rerouted: ${Date.now() - t0} ms\n`);
    await new Promise((r) => setTimeout(r, 3_000));
  } finally {
    stop = true;
    await loop;
    await setAvailability(cluster, drained, "active");
  }
  const total = [...statuses.values()].reduce((a, b) => a + b, 0);
  expect(total).toBeGreaterThan(20);
  expect(Object.fromEntries(statuses)).toEqual({ 200: total });
});

test("the daemon follows a web task replaced on another node: routed from the task list, with no event on its own engine and no resync", async () => {
  await everyNodeRouted();
  // resync and poll at 3600 s (startTestDaemon): only the task poll can cause a routing sync.
  const daemon = await startTestDaemon({ repo: repo.dir, stateDir, docker: cluster.manager, debounceMs: 200 });
  try {
    await waitFor(async () => (daemon.status().lastRun?.ok ? true : undefined), "the daemon's first reconcile", 180_000, 500);
    await daemon.idle();
    // The web tasks run on workers (node.role==worker): the manager's engine sees none of their containers.
    const [victim] = await runningWebTasks();
    const node = cluster.byId(victim?.NodeID as string);
    expect(node.index).not.toBe(1);
    const before = new Set((await runningWebTasks()).map((t) => t.ID));
    await node.docker.getContainer(victim?.Status?.ContainerStatus?.ContainerID as string).kill();
    const replacement = await waitFor(async () => {
      const running = await runningWebTasks();
      return running.length === 2 ? running.find((t) => !before.has(t.ID)) : undefined;
    }, "the killed web task replaced", 120_000, 250);
    const runningSince = Date.parse(replacement.Status?.Timestamp ?? "");
    expect(Number.isNaN(runningSince)).toBe(false);
    // A routing sync that read the tasks after the replacement ran: the VCL names it.
    const routed = await waitFor(async () => {
      const r = daemon.status().lastRouting;
      return r && Date.parse(r.at) > runningSince && r.reason.includes("tasks") && r.ok && r.varnishTasks === 3 ? r : undefined;
    }, "a routing sync after the replacement ran", 30_000, 100);
    process.stdout.write(`[cluster-varnish] web task replaced on node${node.index} → routed by the task poll ${Date.parse(routed.at) - runningSince} ms after it ran\n`);
    await servedOn([1, 2, 3], `b.${siteName}.test`);
  } finally {
    await daemon.stop();
  }
});

test("the controller as a Swarm service on the manager, on the admin network only: its fresh state volume gets the Varnish secret back from the swarm, and a commit's routing reaches every node's Varnish over the admin network, with no relay", async () => {
  await everyNodeRouted();
  process.stdout.write(`[cluster-varnish] controller image built in ${buildControllerImage().toFixed(1)} s\n`);
  // On every manager the stack may run on (docs/operations.md): here node 1, the only one.
  execFileSync("sh", ["-c", `docker save ${CONTROLLER_IMAGE} | docker -H unix://${cluster.managerSocket} load`], { stdio: "ignore" });
  const files = mkdtempSync(path.join(os.tmpdir(), "simulium-controller-service-"));
  const token = "cluster-controller-token-8c1d";
  writeFileSync(path.join(files, "api-token"), `${token}\n`, { mode: 0o644 });
  const branch = execFileSync("git", ["-C", repo.dir, "rev-parse", "--abbrev-ref", "HEAD"], { encoding: "utf8" }).trim();
  const name = `${instance}-controller`;
  const volume = `${instance}-controller-state`;
  const registryConfig = `${CLUSTER_RUN_DIR}/registry/docker-config/config.json`;
  const bind = (source: string, target: string, readOnly = true) => ({ Type: "bind" as const, Source: source, Target: target, ReadOnly: readOnly });
  // As sites.example/simulium-stack.yml deploys it, but as root: the repository is a local git
  // work tree of the test's (root's, 0700), cloned over file://. Running as the image's
  // non-root user with the socket's group is controller-image.test.ts's.
  await cluster.manager.createService({
    Name: name,
    TaskTemplate: {
      ContainerSpec: {
        Image: CONTROLLER_IMAGE,
        User: "0",
        Args: ["run", "--repo", "file:///repo", "--branch", branch, "--listen", "0.0.0.0:9090", "--state-dir", "/var/lib/simulium", "--poll-seconds", "1", "--api-token-file", "/run/api-token", "--log-format", "json"],
        Mounts: [
          bind(cluster.managerSocket, "/var/run/docker.sock", false),
          bind(repo.dir, "/repo"),
          bind(path.join(files, "api-token"), "/run/api-token"),
          // simulium.yaml's registryAuth.configFile, at the path it names.
          bind(registryConfig, registryConfig),
          { Type: "volume" as const, Source: volume, Target: "/var/lib/simulium" },
        ],
      },
      Placement: { Constraints: ["node.role == manager"] },
      Networks: [{ Target: `${instance}_admin` }],
      RestartPolicy: { Condition: "none" },
    },
    EndpointSpec: { Mode: "dnsrr", Ports: [{ Protocol: "tcp", TargetPort: 9090, PublishedPort: CONTROLLER_PORT, PublishMode: "host" }] },
  });
  const auth = { Authorization: `Bearer ${token}` };
  const logLines = async (): Promise<Record<string, unknown>[]> => {
    const { node, containerId } = await runningTask(cluster, name);
    const raw = (await node.docker.getContainer(containerId).logs({ stdout: true, stderr: true, follow: false })) as Buffer;
    return demux(raw)
      .split("\n")
      .filter((l) => l.startsWith("{"))
      .map((l) => JSON.parse(l) as Record<string, unknown>);
  };
  try {
    type Status = { lastRun?: { ok?: boolean; commit?: string } | null };
    const status = async (): Promise<Status | undefined> => {
      const r = await httpGet(nodeIp(1), CONTROLLER_PORT, "/status", auth, 3000).catch(() => undefined);
      return r?.status === 200 ? (JSON.parse(r.body) as Status) : undefined;
    };
    await waitFor(async () => ((await status())?.lastRun?.ok ? true : undefined), "the controller service's first reconcile", 240_000, 1000);
    const recovered = (await logLines()).filter((l) => l.secret === "varnish-secret" && String(l.msg).includes("read back from the swarm"));
    expect(recovered).toHaveLength(1);

    repo.write(`sites/${siteName}.yaml`, siteYaml([`a.${siteName}.test`, `b.${siteName}.test`, `c.${siteName}.test`]));
    const committedAt = Date.now();
    const sha = await repo.commit("a third domain, applied by the controller service");
    await waitFor(async () => {
      const answers = await Promise.all([1, 2, 3].map((k) => page(k, `c.${siteName}.test`)));
      return answers.every((r) => r.status === 200 && r.body.trim() === `page-of-${siteName}`) ? true : undefined;
    }, `c.${siteName}.test served by every node's Varnish`, 60_000, 50);
    const servedAfter = Date.now() - committedAt;
    await waitFor(async () => ((await status())?.lastRun?.commit === sha ? true : undefined), "the run of the commit to be recorded", 30_000, 500);
    // Every load since the commit went straight to a task's admin address on the admin network.
    const loads = (await logLines()).filter((l) => l.msg === "routing: VCL loaded" && Number(l.time) >= committedAt);
    const spread = Math.max(...loads.map((l) => Number(l.time))) - Math.min(...loads.map((l) => Number(l.time)));
    process.stdout.write(`[cluster-varnish] controller service: commit → served on 3 nodes ${servedAfter} ms (1 s poll); the 3 Varnish tasks loaded within ${spread} ms of each other\n`);
    expect(loads.length).toBeGreaterThanOrEqual(3);
    expect(loads.filter((l) => l.via !== "admin")).toEqual([]);
    expect(new Set(loads.map((l) => l.task)).size).toBe(3);
    const adminNet = (await cluster.manager.getNetwork(`${instance}_admin`).inspect()) as { IPAM?: { Config?: { Subnet?: string }[] } };
    const subnet = adminNet.IPAM?.Config?.[0]?.Subnet ?? "";
    for (const l of loads) expect(inCidr(String(l.endpoint).split(":")[0] ?? "", subnet)).toBe(true);
  } finally {
    await cluster.manager.getService(name).remove().catch(() => undefined);
    await waitFor(async () => (await cluster.manager.getVolume(volume).remove().then(() => true).catch(() => undefined)), "the controller's state volume removed", 60_000, 1000).catch(() => undefined);
    rmSync(files, { recursive: true, force: true });
  }
}, 900_000);

/** A container's log stream without the engine's 8-byte frame headers (no TTY). */
function demux(raw: Buffer): string {
  const parts: Buffer[] = [];
  for (let at = 0; at + 8 <= raw.length; ) {
    const size = raw.readUInt32BE(at + 4);
    parts.push(raw.subarray(at + 8, at + 8 + size));
    at += 8 + size;
  }
  return Buffer.concat(parts).toString("utf8");
}

test("a node holding a Varnish task loses power (link down, every process SIGKILLed): the other nodes keep routing, with no failed request", async () => {
  await everyNodeRouted();
  // The worker that runs no web task of the site (after the drain both run on one worker): its
  // death takes only a Varnish task away, and the survivors' Varnish must not notice.
  const web = await runningWebTasks();
  const workers = [2, 3].map((k) => cluster.nodes[k - 1] as NonNullable<(typeof cluster.nodes)[number]>);
  const victim = workers.reduce((a, b) => (web.filter((t) => t.NodeID === b.id).length < web.filter((t) => t.NodeID === a.id).length ? b : a));
  expect(web.some((t) => t.NodeID !== victim.id)).toBe(true);
  const survivors = [1, 2, 3].filter((k) => k !== victim.index);
  const failures: string[] = [];
  let requests = 0;
  let stop = false;
  const loop = (async () => {
    while (!stop) {
      for (const k of survivors) {
        const r = await page(k, `b.${siteName}.test`);
        requests++;
        if (r.status !== 200) failures.push(`node${k}: ${r.status} ${r.body.slice(0, 80)}`);
      }
    }
  })();
  await crashNode(victim.index);
  // A few seconds of traffic after the node's death, while the manager notices it.
  await new Promise((r) => setTimeout(r, 8_000));
  stop = true;
  await loop;
  expect(requests).toBeGreaterThan(20);
  expect(failures).toEqual([]);
  // The node boots again for the test files after this one. Its engine, killed, may reject the
  // instance's next Varnish task for minutes ("network … not found": the overlay's state on a
  // restarted dockerd, the engine's business); the survivors still route.
  cluster = await clusterUp(3);
  for (const k of survivors) expect((await page(k, `b.${siteName}.test`)).status).toBe(200);
});

test("Varnish switched to global mode: the plan shows the switch, apply replaces the service, one task runs on every node (the rebooted one included, with no nudge) and every node routes", async () => {
  repo.write(
    "simulium.yaml",
    clusterYaml(instance, `  registryAuth: {configFile: "${CLUSTER_RUN_DIR}/registry/docker-config/config.json"}\n  varnish: {image: "${REGISTRY}/simulium/varnish:local", port: ${PORT}, mode: global}\n`),
  );
  const out = await apply("Varnish on every node");
  const switched = out.ctx.plan.actions.find((a) => a.name === `${instance}_varnish`);
  expect(switched?.changes).toEqual(expect.arrayContaining([{ field: "mode", op: "+", after: "global" }, { field: "replicas", op: "-", before: "3" }]));
  const spec = ((await cluster.manager.getService(`${instance}_varnish`).inspect()) as { Spec?: { Mode?: Record<string, unknown> } }).Spec;
  expect(spec?.Mode).toEqual({ Global: {} });
  // Swarm places a global service's task on each node itself, a node that booted again included.
  // The wait fails the test (naming what it waited for) unless each node runs one.
  await waitFor(async () => {
    const running = (await tasksOf(cluster, `${instance}_varnish`)).filter((t) => t.Status?.State === "running" && t.DesiredState === "running");
    return running.length === 3 && new Set(running.map((t) => t.NodeID)).size === 3 ? true : undefined;
  }, "a running Varnish task on each of the 3 nodes", 120_000, 1000);
  await everyNodeRouted();
  const again = await reconcileRepo(cluster.manager, repo.dir, "again", { stateDir });
  expect(again.ctx.plan.actions.filter(isMutation)).toEqual([]);
});
