import Docker from "dockerode";
import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { freePort, httpGet } from "../harness";
import { clusterYaml, siteYaml } from "../support/manifests";
import { reconcileRepo } from "../support/reconcile";
import { createRepo, TestRepo } from "../support/repo";
import { execInService, removeInstance, testInstance, waitFor } from "../support/swarm";
import { loadRepo } from "../../controller/manifests/load";

/**
 * Two tenants on one instance, as hostile code in a web task sees them: what its task shares a
 * network with (read from the engine, never probed by sending packets off the machine), what it
 * can do to the shared Varnish, and what an invalid manifest does to its routing.
 *
 * alpha listens on 8080 and is probed on /healthz.php (both differ from the defaults); beta has
 * a database, SFTP, SSH and phpMyAdmin.
 */
jest.setTimeout(900_000);

const docker = new Docker();
const instance = testInstance("iso");
const alpha = `${instance}-a`;
const beta = `${instance}-b`;
const alphaHost = `${alpha}.test`;
const varnishService = `${instance}_varnish`;
// The harness's image; a helper can point this at an image built from a recipe not yet in main.
const varnishImage = process.env.SIMULIUM_TEST_VARNISH_IMAGE ?? "simulium/varnish:local";
let port = 0;
let dir = "";
let repo: TestRepo;

function alphaYaml(): string {
  return siteYaml(alpha, { database: true, healthInterval: null, web: ["port: 8080", "healthcheck: {path: /healthz.php, interval: 2, timeout: 1}"] }).replace(
    '    env: {SITE_VERSION: "1"}',
    '    env: {SITE_VERSION: "1", WEB_PORT: "8080"}',
  );
}

function betaYaml(key: string, sftpPort: number, sshPort: number): string {
  return `${siteYaml(beta, { database: true })}  access:
    sftp: {port: ${sftpPort}, image: "simulium/sftp:local", keys: ["${key}"]}
    ssh: {port: ${sshPort}, image: "simulium/ssh:local", keys: ["${key}"]}
    phpmyadmin: {domain: db.${beta}.test, image: "simulium/phpmyadmin:local"}
`;
}

/** Network names of the running task(s) of a service, from the engine's task attachments. */
async function attachments(service: string): Promise<Set<string>> {
  const tasks = (await docker.listTasks({ filters: JSON.stringify({ service: [service], "desired-state": ["running"] }) })) as {
    NetworksAttachments?: { Network?: { Spec?: { Name?: string } } }[];
  }[];
  if (tasks.length === 0) throw new Error(`${service} has no running task`);
  return new Set(tasks.flatMap((t) => (t.NetworksAttachments ?? []).map((a) => a.Network?.Spec?.Name ?? "")));
}

/** From inside a site's web task: a TCP connection to host:port (on a network the task is on). */
async function tcpFrom(site: string, host: string, p: number): Promise<string> {
  const php = `$s = @fsockopen(${JSON.stringify(host)}, ${p}, $errno, $err, 5); echo $s ? "open" : "closed: $err";`;
  return (await execInService(docker, `${site}_web`, ["php", "-r", php])).output.trim();
}

/** An HTTP request to Varnish (on the edge network) from inside a site's web task: the status code. */
async function fromTask(site: string, method: string, host: string, urlPath: string): Promise<string> {
  const r = await execInService(docker, `${site}_web`, ["curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", "--max-time", "10", "-X", method, "-H", `Host: ${host}`, `http://${varnishService}${urlPath}`]);
  return r.output.trim();
}

const viaVarnish = (urlPath: string) => httpGet("127.0.0.1", port, urlPath, { Host: alphaHost }, 10_000);

async function apply(message: string) {
  const out = await reconcileRepo(docker, repo.dir, await repo.commit(message), { stateDir: path.join(dir, "state") });
  return out;
}

beforeAll(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), "simulium-isolation-"));
  await promisify(execFile)("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-C", "dev@test", "-f", path.join(dir, "dev")]);
  const key = readFileSync(path.join(dir, "dev.pub"), "utf8").trim();
  [port] = [await freePort()];
  const [sftpPort, sshPort] = [await freePort(), await freePort()];
  repo = await createRepo({
    "simulium.yaml": clusterYaml(instance, `  varnish: {image: "${varnishImage}", port: ${port}}\n`),
    [`sites/${alpha}.yaml`]: alphaYaml(),
    [`sites/${beta}.yaml`]: betaYaml(key, sftpPort, sshPort),
  });
});

afterAll(async () => {
  await removeInstance(docker, instance);
  repo?.cleanup();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

test("both sites are applied and alpha answers through Varnish on its own port and probe", async () => {
  const out = await apply("two tenants");
  expect(out.result.ok).toBe(true);
  expect(out.routing?.ok).toBe(true);
  await waitFor(async () => {
    const r = await viaVarnish("/");
    return r.status === 200 && r.body.includes(`site: ${alpha}`);
  }, "alpha to answer through Varnish", 120_000, 500);
});

test("a site's web task shares no network with another site's database, SFTP, SSH or phpMyAdmin, nor with Varnish's admin side", async () => {
  const own = await attachments(`${alpha}_web`);
  expect([...own].sort()).toEqual([`${alpha}_default`, `${instance}_edge`].sort());
  for (const role of ["db", "sftp", "ssh", "phpmyadmin"]) {
    const theirs = await attachments(`${beta}_${role}`);
    expect({ role, shared: [...theirs].filter((n) => own.has(n)) }).toEqual({ role, shared: [] });
  }
  // Varnish is on the edge (HTTP) and on the admin and tools networks, which no site task joins.
  const varnish = await attachments(varnishService);
  expect([...varnish].filter((n) => own.has(n))).toEqual([`${instance}_edge`]);
  expect(varnish.has(`${instance}_admin`)).toBe(true);
  // The controller's network (sites.example/simulium-stack.yml joins only <instance>_admin).
  expect(own.has(`${instance}_admin`)).toBe(false);
});

test("from inside its web task, a site reaches its own database and Varnish's HTTP port, never Varnish's admin port", async () => {
  await waitFor(async () => (await tcpFrom(alpha, `${alpha}_db`, 3306)) === "open", "alpha's database to accept connections from alpha's task", 120_000, 1000);
  // The same address (Varnish's, on the edge network the task is on): HTTP answers, the admin CLI does not listen there.
  expect(await tcpFrom(alpha, varnishService, 80)).toBe("open");
  expect(await tcpFrom(alpha, varnishService, 6082)).toMatch(/^closed/);
});

test("another site's task cannot PURGE or BAN a site's cached objects; the site's own task can", async () => {
  // A static file on alpha's volume: Varnish caches it (a day) for everybody.
  const write = await execInService(docker, `${alpha}_web`, ["sh", "-c", "echo 'body{}' > /var/www/html/files/style.css"]);
  expect(write.exitCode).toBe(0);
  await viaVarnish("/files/style.css");
  expect((await viaVarnish("/files/style.css")).headers["x-cache"]).toBe("HIT");

  expect(await fromTask(beta, "PURGE", alphaHost, "/files/style.css")).toBe("405");
  expect(await fromTask(beta, "BAN", alphaHost, "/files/style.css")).toBe("405");
  expect((await viaVarnish("/files/style.css")).headers["x-cache"]).toBe("HIT");

  expect(await fromTask(alpha, "PURGE", alphaHost, "/files/style.css")).toBe("200");
  expect((await viaVarnish("/files/style.css")).headers["x-cache"]).toBe("MISS");
});

test("a site whose manifest turns invalid keeps the port and probe it was applied with, and keeps answering", async () => {
  repo.write(`sites/${alpha}.yaml`, alphaYaml().replace("domains: [", "domains: [UPPER.case, "));
  expect((await loadRepo(repo.dir)).invalidSites).toEqual([alpha]);
  const out = await apply("alpha: an invalid domain");
  expect(out.routing?.ok).toBe(true);
  // The very VCL that ran before: nothing about alpha's routing changed.
  expect(out.routing?.tasks.map((t) => t.changed)).toEqual([false]);
  // Probes every 2 s: a backend on the wrong port or probed on a missing path would turn sick.
  for (let i = 0; i < 4; i++) {
    const r = await viaVarnish("/");
    expect({ status: r.status, site: r.body.includes(`site: ${alpha}`) }).toEqual({ status: 200, site: true });
    await new Promise((resolve) => setTimeout(resolve, 2000));
  }
});
