import { ChildProcessWithoutNullStreams, execFileSync, spawn, spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { connectDocker } from "../../controller/engine/docker";
import { freePort, httpGet } from "../harness/http";
import { clusterYaml, siteYaml } from "../support/manifests";
import { waitForPage } from "../support/reconcile";
import { removeInstance, testInstance, waitFor } from "../support/swarm";

/**
 * SIGKILL in the middle of an apply (the controller's node dies, the OOM killer strikes): the
 * next start must converge from whatever half-state the swarm holds, without orphans or
 * duplicates. The compiled CLI runs in its own process so the kill is a real one.
 */
const docker = connectDocker();
const instances: string[] = [];
const root = mkdtempSync(path.join(os.tmpdir(), "simulium-daemon-crash-"));
const build = path.join(root, "build");
const cli = path.join(build, "controller", "cli", "main.js");
const env = { ...process.env, HOME: root, NODE_PATH: path.resolve("node_modules") };
const children: ChildProcessWithoutNullStreams[] = [];

interface Daemon {
  readonly proc: ChildProcessWithoutNullStreams;
  readonly lines: string[];
}

function startDaemon(repo: string, port: number): Daemon {
  const proc = spawn(process.execPath, [cli, "run", "--repo", repo, "--listen", `127.0.0.1:${port}`, "--state-dir", path.join(root, "state"), "--log-format", "json"], { env });
  children.push(proc);
  const lines: string[] = [];
  let partial = "";
  proc.stderr.on("data", (c: Buffer) => {
    const parts = (partial + c.toString()).split("\n");
    partial = parts.pop() ?? "";
    lines.push(...parts.filter((l) => l !== ""));
  });
  return { proc, lines };
}

async function status(port: number, p: string): Promise<number | undefined> {
  return (await httpGet("127.0.0.1", port, p).catch(() => undefined))?.status;
}

async function names(instance: string, kind: "services" | "secrets" | "volumes" | "networks"): Promise<string[]> {
  const filters = { label: [`simulium.instance=${instance}`] };
  switch (kind) {
    case "services":
      return (await docker.listServices({ filters })).map((s) => s.Spec?.Name ?? "").sort();
    case "secrets":
      return (await docker.listSecrets({ filters })).map((s) => s.Spec?.Name ?? "").sort();
    case "volumes":
      return ((await docker.listVolumes({ filters })).Volumes ?? []).map((v) => v.Name).sort();
    case "networks":
      return (await docker.listNetworks({ filters })).map((n) => n.Name).sort();
  }
}

beforeAll(() => {
  execFileSync(path.join("node_modules", ".bin", "tsc"), ["-p", "tsconfig.build.json", "--outDir", build], { stdio: "inherit" });
});

afterAll(async () => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill("SIGKILL");
  for (const instance of instances) await removeInstance(docker, instance);
  rmSync(root, { recursive: true, force: true });
});

// Two kill points: the first object created (networks, secrets half done) and the first service
// created (its secrets and volumes exist, other sites' do not yet).
test.each([
  ["the first audit line", '"audit: '],
  ["the first service created", '"audit: service created'],
])("a daemon killed with SIGKILL at %s converges on restart with no orphans or duplicates", async (_at, killOn) => {
  const instance = testInstance("dcr");
  instances.push(instance);
  const sites = [
    { name: `${instance}-news`, database: true },
    { name: `${instance}-shop`, database: true },
    { name: `${instance}-blog`, database: false },
  ];
  const repo = path.join(root, instance);
  mkdirSync(path.join(repo, "sites"), { recursive: true });
  writeFileSync(path.join(repo, "simulium.yaml"), clusterYaml(instance));
  for (const s of sites) writeFileSync(path.join(repo, "sites", `${s.name}.yaml`), siteYaml(s.name, { database: s.database, secretRotation: 0 }));

  const port = await freePort();
  const first = startDaemon(repo, port);
  const killed = new Promise<void>((resolve) => first.proc.on("exit", () => resolve()));
  await waitFor(async () => first.lines.some((l) => l.includes(killOn)), `the first apply to reach ${killOn}`, 120_000, 20);
  first.proc.kill("SIGKILL");
  await killed;
  const createdBeforeKill = first.lines.filter((l) => l.includes('"audit: ')).length;
  // The kill must land mid-apply, or the test proves nothing about half-done work.
  expect(first.lines.some((l) => l.includes("daemon stopped"))).toBe(false);

  const restartedAt = Date.now();
  const second = startDaemon(repo, port);
  await waitFor(async () => (await status(port, "/readyz")) === 200, "/readyz after the restart", 300_000, 500);
  for (const s of sites) await waitForPage(docker, `${s.name}_web`, /version: 1/);
  process.stderr.write(`[daemon-crash] killed at ${killOn}, after ${createdBeforeKill} audit line(s); converged ${((Date.now() - restartedAt) / 1000).toFixed(1)} s after the restart\n`);

  const services = await names(instance, "services");
  const siteServices = sites.flatMap((s) => (s.database ? [`${s.name}_db`, `${s.name}_web`] : [`${s.name}_web`]));
  // Instance-wide services (Varnish) belong to no site; everything else is exactly the sites'.
  expect(services.filter((n) => n.startsWith(`${instance}-`)).sort()).toEqual(siteServices.sort());
  expect(services.filter((n) => !n.startsWith(`${instance}-`)).every((n) => n.startsWith(`${instance}_`))).toBe(true);
  const shared = [`${instance}_admin`, `${instance}_edge`, `${instance}_tools`];
  expect(await names(instance, "networks")).toEqual([...shared, ...sites.map((s) => `${s.name}_default`)].sort());
  expect(await names(instance, "volumes")).toEqual(sites.flatMap((s) => (s.database ? [`${s.name}_db-data`, `${s.name}_files`] : [`${s.name}_files`])).sort());

  // One secret per logical name and site: a second one would be a duplicate left by the kill.
  const secrets = await names(instance, "secrets");
  const logical = secrets.map((n) => n.replace(/-[0-9a-f]{10}$/, ""));
  expect(new Set(logical).size).toBe(logical.length);
  for (const s of sites) expect(logical).toContain(`${s.name}_api-key`);

  // The restarted daemon's view agrees with a fresh plan: nothing left to do.
  const plan = spawnSync(process.execPath, [cli, "plan", "--repo", repo, "--detailed-exitcode"], { env, encoding: "utf8" });
  expect({ exit: plan.status, out: plan.stdout }).toEqual({ exit: 0, out: plan.stdout });
  expect(second.lines.some((l) => l.includes('"level":50') || l.includes('"level":"error"'))).toBe(false);
  second.proc.kill("SIGTERM");
});
