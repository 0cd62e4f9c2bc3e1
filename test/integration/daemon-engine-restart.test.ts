import { ChildProcess, execFileSync, spawn } from "node:child_process";
import { closeSync, mkdirSync, mkdtempSync, openSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { RunningDaemon, startDaemon } from "../../controller/daemon/daemon";
import { connectDocker } from "../../controller/engine/docker";
import { httpGet } from "../harness/http";
import { dockerdPids, EngineProcess, harnessEngine, isAlive } from "../support/engine";
import { clusterYaml, siteYaml } from "../support/manifests";
import { quietLog, waitForPage } from "../support/reconcile";
import { removeInstance, testInstance, waitFor } from "../support/swarm";

/**
 * The real engine restarts under a running daemon (package upgrade, host reboot of dockerd).
 * The daemon must report the outage on /readyz and recover by itself, and the site must serve
 * again once Swarm has restarted its tasks. This stops the engine every other test shares: the
 * integration project runs serially, and the test waits until the swarm is fully back.
 * A second engine (as the multi-node tests run) is up meanwhile: the test must restart the
 * harness's engine, found by its pid file and socket (test/support/engine.ts), and no other.
 */
const docker = connectDocker();
const instance = testInstance("der");
const site = `${instance}-blog`;
const root = mkdtempSync(path.join(os.tmpdir(), "simulium-engine-restart-"));
let daemon: RunningDaemon | undefined;
let engine: EngineProcess | undefined;
let other: { pid: number; sock: string; proc: ChildProcess } | undefined;

function answers(args: string[]): boolean {
  try {
    execFileSync("docker", [...args, "version", "--format", "{{.Server.Version}}"], { stdio: "ignore", timeout: 10_000 });
    return true;
  } catch {
    return false;
  }
}

/**
 * Another engine on this machine, started after the harness's (so a "newest dockerd" guess picks
 * it): own socket, pid file, data and exec roots, no bridge and no iptables rules of its own.
 */
async function startOtherEngine(): Promise<void> {
  const dir = path.join(root, "other");
  mkdirSync(dir, { recursive: true });
  const sock = path.join(dir, "docker.sock");
  const log = openSync(path.join(dir, "dockerd.log"), "a");
  const proc = spawn(
    "dockerd",
    ["--data-root", path.join(dir, "data"), "--exec-root", path.join(dir, "exec"), "--pidfile", path.join(dir, "docker.pid"), "-H", `unix://${sock}`, "--bridge", "none", "--iptables=false", "--ip-masq=false"],
    { stdio: ["ignore", log, log] },
  );
  closeSync(log);
  if (proc.pid === undefined) throw new Error("the second dockerd did not start");
  other = { pid: proc.pid, sock, proc };
  await waitFor(async () => answers(["-H", `unix://${sock}`]), "the second engine to answer", 60_000, 250);
}

async function stopOtherEngine(): Promise<void> {
  if (other === undefined) return;
  const { pid, proc } = other;
  if (isAlive(pid)) {
    const exited = new Promise((res) => proc.once("exit", res));
    proc.kill("SIGTERM");
    await Promise.race([exited, new Promise((r) => setTimeout(r, 30_000).unref())]);
    if (isAlive(pid)) proc.kill("SIGKILL");
  }
}

function swarmReady(): boolean {
  try {
    const nodes = execFileSync("docker", ["node", "ls", "--format", "{{.Status}} {{.ManagerStatus}}"], { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] });
    return nodes.trim() !== "" && nodes.trim().split("\n").every((l) => l.startsWith("Ready"));
  } catch {
    return false;
  }
}

async function readyz(port: number): Promise<number | undefined> {
  return (await httpGet("127.0.0.1", port, "/readyz").catch(() => undefined))?.status;
}

beforeAll(async () => {
  engine = harnessEngine();
  await startOtherEngine();
  const dir = path.join(root, "manifests");
  mkdirSync(path.join(dir, "sites"), { recursive: true });
  writeFileSync(path.join(dir, "simulium.yaml"), clusterYaml(instance));
  writeFileSync(path.join(dir, "sites", `${site}.yaml`), siteYaml(site, { database: true }));
  daemon = await startDaemon({
    repo: dir,
    branch: "main",
    stateDir: path.join(root, "state"),
    listen: { host: "127.0.0.1", port: 0 },
    pollSeconds: 3600,
    resyncSeconds: 3,
    staleAfterSeconds: 3600,
    log: quietLog,
    docker,
    convergePollMs: 500,
  });
  await waitForPage(docker, `${site}_web`, /version: 1/);
  await waitFor(async () => (await readyz(daemon?.port ?? 0)) === 200, "/readyz before the restart", 60_000, 500);
});

afterAll(async () => {
  // Whatever happened, leave an engine with a ready swarm behind for the tests after this one.
  if (engine !== undefined && !answers([])) startEngine(engine.argv);
  await waitFor(async () => swarmReady(), "the swarm to be ready again", 120_000, 1000).catch(() => undefined);
  await daemon?.stop();
  await removeInstance(docker, instance);
  await stopOtherEngine();
  rmSync(root, { recursive: true, force: true });
});

/**
 * Exactly as harness/engine.sh starts it: the same command line (pid file included), detached
 * from this process, logging to the same file.
 */
function startEngine(argv: string[]): void {
  const log = openSync("/var/log/simulium-dockerd.log", "a");
  const [program = "dockerd", ...args] = argv;
  // host-program: dockerd (argv is the harness engine's own command line)
  const child = spawn(program, args, { detached: true, stdio: ["ignore", log, log] });
  closeSync(log);
  child.unref();
}

test("/readyz fails while dockerd is down and recovers without restarting the daemon; the site serves again", async () => {
  const port = daemon?.port ?? 0;
  // Two engines run; the harness's is the one the pid file names, started by engine.sh.
  expect(engine).toBeDefined();
  const { pid, argv } = engine ?? { pid: 0, argv: [] };
  expect(dockerdPids()).toEqual(expect.arrayContaining([pid, other?.pid]));
  expect(pid).not.toBe(other?.pid);
  expect(argv[0]).toBe("dockerd");

  const stoppedAt = Date.now();
  process.kill(pid, "SIGTERM");
  await waitFor(async () => !isAlive(pid), "dockerd to exit", 120_000, 200);
  const downFor = Date.now();
  await waitFor(async () => (await readyz(port)) === 503, "/readyz to report the outage", 30_000, 200);
  const sawOutage = (Date.now() - downFor) / 1000;

  // The other engine was left alone: same process, still answering.
  expect(isAlive(other?.pid ?? 0)).toBe(true);
  expect(answers(["-H", `unix://${other?.sock ?? ""}`])).toBe(true);

  const restartedAt = Date.now();
  startEngine(argv);
  await waitFor(async () => {
    try {
      execFileSync("docker", ["info"], { stdio: "ignore" });
      return true;
    } catch {
      return false;
    }
  }, "docker info to answer", 60_000, 500);
  const engineBack = Date.now();
  await waitFor(async () => swarmReady(), "the swarm node to be ready", 120_000, 1000);
  await waitFor(async () => (await readyz(port)) === 200, "/readyz to recover", 120_000, 500);
  const readyAgain = Date.now();
  await waitForPage(docker, `${site}_web`, /version: 1/, 180_000);
  const serving = Date.now();
  process.stderr.write(
    `[engine-restart] dockerd stopped in ${((downFor - stoppedAt) / 1000).toFixed(1)} s; /readyz 503 within ${sawOutage.toFixed(1)} s; ` +
      `engine answered ${((engineBack - restartedAt) / 1000).toFixed(1)} s after its start; /readyz 200 ${((readyAgain - engineBack) / 1000).toFixed(1)} s and page ${((serving - engineBack) / 1000).toFixed(1)} s after the engine\n`,
  );
  // Same daemon object throughout: it was never restarted.
  expect(daemon?.status().engineReachable).toBe(true);
  // Swarm restarts the tasks one by one after the engine comes back: the daemon's record may
  // say progressing until its next run (resync every 3 s, or a task event) sees them all.
  const sites = await waitFor(async () => {
    const now = daemon?.status().sites ?? [];
    return now.every((s) => s.state === "converged") && now.length > 0 ? now : undefined;
  }, "the daemon to record the site converged again", 120_000, 500);
  expect(sites).toEqual([expect.objectContaining({ site, state: "converged" })]);
  // The restarted engine is found again the same way, with the same command line; the other
  // engine never noticed.
  const again = harnessEngine();
  expect(again?.argv).toEqual(argv);
  expect(again?.pid).not.toBe(pid);
  expect(isAlive(other?.pid ?? 0)).toBe(true);
});
