import { execFile, spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { connectDocker } from "../../controller/engine/docker";
import { isMutation } from "../../controller/plan/types";
import { planRepo } from "../../controller/features";
import { freePort } from "../harness";
import { clusterYaml, siteYaml } from "../support/manifests";
import { reconcileRepo } from "../support/reconcile";
import { createRepo, TestRepo } from "../support/repo";
import { execInService, removeInstance, testInstance, waitFor } from "../support/swarm";

const run = promisify(execFile);
const docker = connectDocker();
const instance = testInstance("ssh");
const site = `${instance}-a`;
const CONTENT = `written-by-web-${instance}`;
let repo: TestRepo;
let dir: string;
let port: number;

const sshOptions = (extra: string[] = []) => [
  "-p", String(port),
  "-o", "StrictHostKeyChecking=no",
  "-o", "UserKnownHostsFile=/dev/null",
  "-o", "BatchMode=yes",
  "-o", "ConnectTimeout=10",
  "-o", "IdentitiesOnly=yes",
  ...extra,
];

/** Runs the real ssh client, never throwing: its exit code and output are what the test checks. */
async function ssh(args: string[]): Promise<{ code: number; stdout: string; output: string }> {
  try {
    const r = await run("ssh", args, { timeout: 60_000 });
    return { code: 0, stdout: r.stdout, output: r.stdout + r.stderr };
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof e.code === "number" ? e.code : -1, stdout: e.stdout ?? "", output: `${e.stdout ?? ""}${e.stderr ?? ""}` };
  }
}

/** A login shell on a terminal (what a developer gets with plain `ssh`), fed a script. */
function loginShell(script: string): Promise<{ code: number | null; stdout: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn("ssh", [...sshOptions(["-i", path.join(dir, "dev"), "-tt"]), "site@127.0.0.1"], { stdio: ["pipe", "pipe", "pipe"] });
    let stdout = "";
    child.stdout.on("data", (c: Buffer) => (stdout += c.toString("utf8")));
    const timer = setTimeout(() => child.kill("SIGKILL"), 30_000);
    child.on("error", reject);
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code, stdout });
    });
    child.stdin.end(script);
  });
}

const asDeveloper = (command: string) => ssh([...sshOptions(["-i", path.join(dir, "dev")]), "site@127.0.0.1", command]);

beforeAll(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), "simulium-ssh-"));
  for (const name of ["dev", "stranger"]) await run("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-C", `${name}@test`, "-f", path.join(dir, name)]);
  port = await freePort();
  const key = readFileSync(path.join(dir, "dev.pub"), "utf8").trim();
  const access = `  access:\n    ssh: {port: ${port}, image: "simulium/ssh:local", keys: ["${key}"]}\n`;
  repo = await createRepo({
    "simulium.yaml": clusterYaml(instance),
    [`sites/${site}.yaml`]: `${siteYaml(site, { database: true })}${access}`,
  });
});

afterAll(async () => {
  await removeInstance(docker, instance);
  repo.cleanup();
  rmSync(dir, { recursive: true, force: true });
});

test("a listed key gets a shell with the site's volumes, environment, secrets and database; other keys, passwords and root are refused", async () => {
  const out = await reconcileRepo(docker, repo.dir, await repo.commit("ssh"));
  expect(out.result.ok).toBe(true);
  await execInService(docker, `${site}_web`, ["sh", "-c", `printf %s ${CONTENT} > /var/www/html/files/from-web.txt`]);

  // sshd makes its host key at start: retry until it answers.
  const shell = await waitFor(
    async () => {
      const r = await asDeveloper('cat /var/www/html/files/from-web.txt; echo; echo "host=$DB_HOST user=$DB_USER site=$SIMULIUM_SITE"; id -u; ls /run/secrets');
      return r.code === 0 ? r : undefined;
    },
    "an SSH command with the listed key",
    60_000,
    2000,
  );
  const lines = shell.stdout.trim().split("\n");
  expect(lines[0]).toBe(CONTENT);
  expect(lines[1]).toBe(`host=${site}_db user=site site=${site}`);
  // The web server's uid: files written over SSH belong to the website.
  expect(lines[2]).toBe("33");
  // The web's secrets, never the database root password; the server's own host key is there
  // for sshd alone (mode 0400, root): the developer cannot read it.
  expect(lines.slice(3)).toEqual(["db-password", "ssh-host-key"]);
  const hostKey = await asDeveloper("cat /run/secrets/ssh-host-key");
  expect(hostKey.code).not.toBe(0);
  expect(hostKey.stdout).not.toContain("PRIVATE KEY");

  // An interactive login shell reads the same environment (profile.d), and starts at home.
  const login = await loginShell('echo "login-host=$DB_HOST"; pwd; exit\n');
  expect(login.code).toBe(0);
  expect(login.stdout).toContain(`login-host=${site}_db`);
  expect(login.stdout).toContain("/home/site");

  // drush and cv talk to the database the same way: the client reaches it with the site's user.
  const query = await waitFor(async () => {
    const r = await asDeveloper('mariadb -h "$DB_HOST" -u "$DB_USER" -p"$(cat "$DB_PASSWORD_FILE")" "$DB_NAME" -N -e "SELECT CONCAT(\'db-\', DATABASE())"');
    return r.code === 0 ? r : undefined;
  }, "a MariaDB query over SSH", 120_000, 3000);
  expect(query.stdout.trim()).toBe("db-site");

  // What a developer writes is the website's: uid 33, visible to the web service.
  expect((await asDeveloper("echo from-ssh > /var/www/html/files/from-ssh.txt")).code).toBe(0);
  expect((await execInService(docker, `${site}_web`, ["cat", "/var/www/html/files/from-ssh.txt"])).output.trim()).toBe("from-ssh");

  const stranger = await ssh([...sshOptions(["-i", path.join(dir, "stranger")]), "site@127.0.0.1", "echo", "in"]);
  expect(stranger.code).toBe(255);
  expect(stranger.output).toContain("Permission denied (publickey)");

  // The server offers no password method at all.
  const password = await ssh([...sshOptions(["-o", "PubkeyAuthentication=no", "-o", "PreferredAuthentications=password,keyboard-interactive"]), "site@127.0.0.1", "echo", "in"]);
  expect(password.code).toBe(255);
  expect(password.output).toContain("Permission denied (publickey)");

  const root = await ssh([...sshOptions(["-i", path.join(dir, "dev")]), "root@127.0.0.1", "echo", "in"]);
  expect(root.code).toBe(255);
  expect(root.output).toContain("Permission denied (publickey)");

  // Converged: a second plan has nothing to do.
  const { plan } = await planRepo(docker, repo.dir);
  expect(plan.actions.filter(isMutation)).toEqual([]);
});
