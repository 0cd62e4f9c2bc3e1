import { ChildProcessWithoutNullStreams, execFileSync, spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import http from "node:http";
import os from "node:os";
import path from "node:path";
import { connectDocker } from "../../controller/engine/docker";
import { clusterYaml, siteYaml } from "../support/manifests";
import { waitForPage } from "../support/reconcile";
import { removeInstance, testInstance, waitFor } from "../support/swarm";

/**
 * The commands as an operator runs them: the compiled CLI in its own process, so SIGTERM and
 * the exit code are the real ones. `simulium history` reads the same repository and swarm.
 */
const docker = connectDocker();
const instance = testInstance("dmc");
const site = `${instance}-news`;
const root = mkdtempSync(path.join(os.tmpdir(), "simulium-daemon-cli-"));
const build = path.join(root, "build");
const repo = path.join(root, "repo");
const cli = path.join(build, "controller", "cli", "main.js");
// The build lives outside the project: its requires must still find the project's packages.
const env = { ...process.env, HOME: root, NODE_PATH: path.resolve("node_modules") };
let child: ChildProcessWithoutNullStreams | undefined;

function git(...args: string[]): string {
  return execFileSync("git", ["-c", "user.name=Lin Operator", "-c", "user.email=lin@example.org", "-c", "commit.gpgsign=false", ...args], {
    cwd: repo,
    encoding: "utf8",
    env: { ...process.env, GIT_CONFIG_NOSYSTEM: "1", HOME: root },
  }).trim();
}

function commit(file: string, text: string, message: string): string {
  mkdirSync(path.dirname(path.join(repo, file)), { recursive: true });
  writeFileSync(path.join(repo, file), text);
  git("add", "-A");
  git("commit", "-q", "-m", message);
  return git("rev-parse", "HEAD");
}

function simulium(...args: string[]): string {
  return execFileSync(process.execPath, [cli, ...args], { encoding: "utf8", env });
}

beforeAll(() => {
  execFileSync(path.join("node_modules", ".bin", "tsc"), ["-p", "tsconfig.build.json", "--outDir", build], { stdio: "inherit" });
  mkdirSync(repo);
  git("init", "-q", "-b", "main");
});

afterAll(async () => {
  if (child && child.exitCode === null) child.kill("SIGKILL");
  await removeInstance(docker, instance);
  rmSync(root, { recursive: true, force: true });
});

test("simulium run applies a work tree, answers /healthz, and exits 0 on SIGTERM; history marks the applied commit", async () => {
  commit("simulium.yaml", clusterYaml(instance), "cluster");
  const first = commit(`sites/${site}.yaml`, siteYaml(site, { version: "1" }), "news v1");
  const second = commit(`sites/${site}.yaml`, siteYaml(site, { version: "2" }), "news v2");
  commit("README.md", "notes\n", "unrelated change");

  const proc = spawn(process.execPath, [cli, "run", "--repo", repo, "--listen", "127.0.0.1:0", "--state-dir", path.join(root, "state")], { env });
  child = proc;
  const lines: string[] = [];
  proc.stderr.on("data", (c: Buffer) => lines.push(...c.toString().split("\n").filter((l) => l !== "")));
  const exited = new Promise<number | null>((resolve) => proc.on("exit", (code) => resolve(code)));

  const started = await waitFor(async () => lines.map((l) => JSON.parse(l) as { msg: string; listen?: { port: number } }).find((l) => l.msg === "simulium daemon started"), "the daemon to start", 30_000, 100);
  const port = started.listen?.port;
  await waitForPage(docker, `${site}_web`, /version: 2/);
  const health = await new Promise<number>((resolve, reject) =>
    http.get({ host: "127.0.0.1", port, path: "/healthz" }, (res) => resolve(res.statusCode ?? 0)).on("error", reject),
  );
  expect(health).toBe(200);
  // Every log line is JSON; the lines about the applied site carry the commit and the site.
  const logs = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
  expect(logs.some((l) => l.site === site && l.commit === git("rev-parse", "HEAD") && l.author === "Lin Operator")).toBe(true);

  const history = JSON.parse(simulium("history", site, "--repo", repo, "--json")) as {
    appliedCommit: string;
    commits: { sha: string; author: string; subject: string; applied: boolean }[];
  };
  // The README commit did not touch the site file: it is not in its history, though it is the one applied.
  expect(history.commits.map((c) => [c.sha, c.subject, c.applied])).toEqual([
    [second, "news v2", false],
    [first, "news v1", false],
  ]);
  expect(history.appliedCommit).toBe(git("rev-parse", "HEAD"));
  expect(simulium("history", site, "--repo", repo)).toContain("not among these");

  proc.kill("SIGTERM");
  expect(await exited).toBe(0);
  expect(lines.some((l) => l.includes("simulium daemon stopped"))).toBe(true);
});
