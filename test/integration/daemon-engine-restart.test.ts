import { execFileSync, spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { RunningDaemon, startDaemon } from "../../controller/daemon/daemon";
import { connectDocker } from "../../controller/engine/docker";
import { httpGet } from "../harness/http";
import { clusterYaml, siteYaml } from "../support/manifests";
import { quietLog, waitForPage } from "../support/reconcile";
import { removeInstance, testInstance, waitFor } from "../support/swarm";

/**
 * The real engine restarts under a running daemon (package upgrade, host reboot of dockerd).
 * The daemon must report the outage on /readyz and recover by itself, and the site must serve
 * again once Swarm has restarted its tasks. This stops the engine every other test shares: the
 * integration project runs serially, and the test waits until the swarm is fully back.
 */
const docker = connectDocker();
const instance = testInstance("der");
const site = `${instance}-blog`;
const root = mkdtempSync(path.join(os.tmpdir(), "simulium-engine-restart-"));
let daemon: RunningDaemon | undefined;

function dockerdPid(): number | undefined {
  try {
    const pid = Number(execFileSync("pidof", ["-s", "dockerd"], { encoding: "utf8" }).trim());
    return pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
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
  if (dockerdPid() === undefined) startDockerd();
  await waitFor(async () => swarmReady(), "the swarm to be ready again", 120_000, 1000).catch(() => undefined);
  await daemon?.stop();
  await removeInstance(docker, instance);
  rmSync(root, { recursive: true, force: true });
});

/** Exactly as harness/engine.sh starts it: detached from this process, logging to the same file. */
function startDockerd(): void {
  const log = openSync("/var/log/simulium-dockerd.log", "a");
  const child = spawn("dockerd", [], { detached: true, stdio: ["ignore", log, log] });
  child.unref();
}

test("/readyz fails while dockerd is down and recovers without restarting the daemon; the site serves again", async () => {
  const port = daemon?.port ?? 0;
  const pid = dockerdPid();
  expect(pid).toBeDefined();
  const cmdline = readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0").filter((a) => a !== "");
  // Only an engine started the harness's way (plain `dockerd`) can be restarted the same way.
  expect(cmdline).toEqual(["dockerd"]);

  const stoppedAt = Date.now();
  process.kill(pid ?? 0, "SIGTERM");
  await waitFor(async () => !alive(pid ?? 0), "dockerd to exit", 120_000, 200);
  const downFor = Date.now();
  await waitFor(async () => (await readyz(port)) === 503, "/readyz to report the outage", 30_000, 200);
  const sawOutage = (Date.now() - downFor) / 1000;

  const restartedAt = Date.now();
  startDockerd();
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
});
