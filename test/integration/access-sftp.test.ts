import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { connectDocker } from "../../controller/engine/docker";
import { freePort } from "../harness";
import { clusterYaml, siteYaml } from "../support/manifests";
import { reconcileRepo } from "../support/reconcile";
import { createRepo, TestRepo } from "../support/repo";
import { execInService, removeInstance, testInstance, waitFor } from "../support/swarm";

const run = promisify(execFile);
const docker = connectDocker();
const instance = testInstance("sftp");
const site = `${instance}-a`;
const CONTENT = `uploaded-by-${instance}`;
let repo: TestRepo;
let dir: string;
let port: number;

const sshOptions = (key: string) => ["-i", key, "-P", String(port), "-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null", "-o", "BatchMode=yes", "-o", "ConnectTimeout=10"];

/** Runs a client command, never throwing: its exit code and output are what the test checks. */
async function client(file: string, args: string[]): Promise<{ code: number; output: string }> {
  try {
    const r = await run(file, args, { timeout: 30_000 });
    return { code: 0, output: r.stdout + r.stderr };
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof e.code === "number" ? e.code : -1, output: `${e.stdout ?? ""}${e.stderr ?? ""}` };
  }
}

beforeAll(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), "simulium-sftp-"));
  for (const name of ["good", "stranger"]) await run("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-C", `${name}@test`, "-f", path.join(dir, name)]);
  writeFileSync(path.join(dir, "hello.txt"), CONTENT);
  writeFileSync(path.join(dir, "batch"), `put ${path.join(dir, "hello.txt")} hello.txt\n`);
  port = await freePort();
  const key = readFileSync(path.join(dir, "good.pub"), "utf8").trim();
  const access = `  access:\n    sftp: {port: ${port}, image: "simulium/sftp:local", keys: ["${key}"]}\n`;
  repo = await createRepo({
    "simulium.yaml": clusterYaml(instance),
    [`sites/${site}.yaml`]: `${siteYaml(site)}${access}`,
  });
});

afterAll(async () => {
  await removeInstance(docker, instance);
  repo.cleanup();
  rmSync(dir, { recursive: true, force: true });
});

test("an upload with a listed key lands in the files volume and the site serves it; a stranger's key and a shell are refused", async () => {
  const out = await reconcileRepo(docker, repo.dir, await repo.commit("sftp"));
  expect(out.result.ok).toBe(true);

  // sshd makes its host key at start: retry until it answers.
  const upload = await waitFor(
    async () => {
      const r = await client("sftp", [...sshOptions(path.join(dir, "good")), "-b", path.join(dir, "batch"), "site@127.0.0.1"]);
      return r.code === 0 ? r : undefined;
    },
    "an SFTP upload",
    60_000,
    2000,
  );
  expect(upload.output).toContain("put ");
  const served = await execInService(docker, `${site}_web`, ["curl", "-fsS", "http://127.0.0.1/files/hello.txt"]);
  expect(served.output).toBe(CONTENT);

  const stranger = await client("sftp", [...sshOptions(path.join(dir, "stranger")), "-b", path.join(dir, "batch"), "site@127.0.0.1"]);
  expect(stranger.code).not.toBe(0);
  expect(stranger.output).toContain("Permission denied (publickey)");

  const shellArgs = sshOptions(path.join(dir, "good")).map((a) => (a === "-P" ? "-p" : a));
  const shell = await client("ssh", [...shellArgs, "site@127.0.0.1", "echo", `SHELL-${instance}`]);
  expect(shell.output).not.toContain(`SHELL-${instance}`);
  expect(shell.output).toContain("This service allows sftp connections only.");
});

test("the server keeps its host key across a restart: clients never see a changed identity", async () => {
  const hostKey = async (): Promise<string> =>
    waitFor(
      async () => {
        const r = await client("ssh-keyscan", ["-p", String(port), "-t", "ecdsa", "127.0.0.1"]);
        const line = r.output.split("\n").find((l) => l.includes("ecdsa-sha2-nistp256"));
        return line?.split(" ").slice(1).join(" ");
      },
      "the SFTP server's host key",
      60_000,
      1000,
    );
  const before = await hostKey();
  const service = docker.getService(`${site}_sftp`);
  const info = (await service.inspect()) as { Version: { Index: number }; Spec: { TaskTemplate: { ForceUpdate?: number } } };
  // A forced update replaces the task: a new container, the same Swarm secret.
  await service.update({ ...info.Spec, version: info.Version.Index, TaskTemplate: { ...info.Spec.TaskTemplate, ForceUpdate: (info.Spec.TaskTemplate.ForceUpdate ?? 0) + 1 } });
  await waitFor(
    async () => {
      const tasks = (await docker.listTasks({ filters: { service: [`${site}_sftp`], "desired-state": ["running"] } })) as { Status?: { State?: string }; Spec?: { ForceUpdate?: number } }[];
      return tasks.length === 1 && tasks[0]?.Status?.State === "running" && tasks[0]?.Spec?.ForceUpdate === (info.Spec.TaskTemplate.ForceUpdate ?? 0) + 1 ? true : undefined;
    },
    "the restarted SFTP task",
    60_000,
    1000,
  );
  expect(await hostKey()).toBe(before);
});
