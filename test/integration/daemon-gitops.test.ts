import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import http from "node:http";
import os from "node:os";
import path from "node:path";
import { RunningDaemon } from "../../controller/daemon/daemon";
import { startTestDaemon, testGit } from "../support/daemon";
import { connectDocker } from "../../controller/engine/docker";
import { signatureHeader } from "../../controller/source/webhook";
import { clusterYaml, siteYaml } from "../support/manifests";
import { freePort, httpGet } from "../harness/http";
import { page } from "../support/reconcile";
import { removeInstance, testInstance, waitFor } from "../support/swarm";
import { writeApiToken } from "../support/api-token";

/**
 * The daemon end to end: a bare "forge" repo over file://, pushes announced by a signed
 * webhook, the real swarm converging, and /status, /metrics, /hooks/git answered over HTTP.
 */
const docker = connectDocker();
const instance = testInstance("dmn");
const site = `${instance}-shop`;
const root = mkdtempSync(path.join(os.tmpdir(), "simulium-daemon-gitops-"));
const api = writeApiToken(root);
const bare = path.join(root, "forge.git");
const work = path.join(root, "work");
const secret = "daemon-test-webhook-secret";
const secretFile = path.join(root, "webhook-secret");
let daemon: RunningDaemon | undefined;
let varnishPort = 0;

const git = testGit(root);

function commitAndPush(file: string, text: string, message: string): string {
  mkdirSync(path.dirname(path.join(work, file)), { recursive: true });
  writeFileSync(path.join(work, file), text);
  git(work, "add", "-A");
  git(work, "commit", "-q", "-m", message);
  git(work, "push", "-q", "origin", "HEAD:main");
  return git(work, "rev-parse", "HEAD");
}

interface Reply {
  readonly status: number;
  readonly body: string;
}

function request(method: string, urlPath: string, body?: string, headers: Record<string, string> = {}): Promise<Reply> {
  const port = daemon?.port;
  return new Promise((resolve, reject) => {
    const req = http.request({ host: "127.0.0.1", port, method, path: urlPath, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString() }));
    });
    req.on("error", reject);
    req.end(body);
  });
}

function pushHook(): Promise<Reply> {
  const body = JSON.stringify({ ref: "refs/heads/main" });
  return request("POST", "/hooks/git", body, {
    "Content-Type": "application/json",
    "X-GitHub-Event": "push",
    "X-Hub-Signature-256": signatureHeader(body, secret),
  });
}

interface StatusBody {
  readonly instance: string | null;
  readonly commit: { readonly sha: string; readonly author: string } | null;
  readonly lastRun: { readonly commit: string; readonly ok: boolean; readonly error: string | null } | null;
  readonly sites: readonly {
    readonly site: string;
    readonly state: string;
    readonly appliedCommit: string | null;
    readonly lastError: string | null;
    readonly tasks: { readonly running: number; readonly desired: number };
    readonly invalid?: { readonly error: string; readonly commit: string; readonly author: string };
  }[];
}

async function status(): Promise<StatusBody> {
  const r = await request("GET", "/status", undefined, api.headers);
  expect(r.status).toBe(200);
  return JSON.parse(r.body) as StatusBody;
}

/** The site's page as visitors get it: through the managed Varnish, by its domain. */
async function viaVarnish(): Promise<string> {
  const r = await httpGet("127.0.0.1", varnishPort, "/", { Host: `${site}.test` });
  return r.status === 200 ? r.body : "";
}

/** Pushes, signs the webhook, and measures until the page through Varnish shows the version. */
async function pushAndConverge(version: RegExp, label: string): Promise<number> {
  const t0 = Date.now();
  expect((await pushHook()).status).toBe(202);
  await waitFor(async () => version.test(await viaVarnish()), `${label} through Varnish`, 180_000, 100);
  const ms = Date.now() - t0;
  // eslint-disable-next-line no-console
  console.log(`daemon: webhook → ${label} converged in ${ms} ms`);
  return ms;
}

beforeAll(async () => {
  writeFileSync(secretFile, `${secret}\n`, { mode: 0o600 });
  git(root, "init", "-q", "--bare", "-b", "main", bare);
  git(root, "init", "-q", "-b", "main", work);
  git(work, "remote", "add", "origin", `file://${bare}`);
  varnishPort = await freePort();
  writeFileSync(path.join(work, "simulium.yaml"), clusterYaml(instance, `  varnish: {image: "simulium/varnish:local", port: ${varnishPort}}\n`));
  commitAndPush("sites/.gitkeep", "", "cluster settings, no site yet");
  // Only the webhook triggers runs here (the test daemon never polls): each step is caused by the push under test.
  daemon = await startTestDaemon({
    repo: `file://${bare}`,
    stateDir: path.join(root, "state"),
    webhookSecretFile: secretFile,
    apiTokenFile: api.file,
    docker,
  });
  await daemon.idle();
});

afterAll(async () => {
  await daemon?.stop();
  await removeInstance(docker, instance);
  rmSync(root, { recursive: true, force: true });
});

test("an unsigned or wrongly signed webhook is refused with 401 and triggers nothing", async () => {
  const body = JSON.stringify({ ref: "refs/heads/main" });
  expect((await request("POST", "/hooks/git", body, { "Content-Type": "application/json" })).status).toBe(401);
  const forged = await request("POST", "/hooks/git", body, { "X-Hub-Signature-256": signatureHeader(body, "not-the-secret") });
  expect(forged.status).toBe(401);
  expect(daemon?.status().lastRun?.ok).toBe(true);
});

test("push v1, v2, then revert v2: the site follows each commit after a signed webhook", async () => {
  const v1 = commitAndPush(`sites/${site}.yaml`, siteYaml(site, { version: "1" }), "shop v1");
  await pushAndConverge(/version: 1/, "v1 (create)");
  await daemon?.idle();
  let s = await status();
  expect(s.instance).toBe(instance);
  expect(s.commit).toMatchObject({ sha: v1, author: "Grace Operator" });
  expect(s.sites).toEqual([expect.objectContaining({ site, state: "converged", appliedCommit: v1, lastError: null, tasks: { running: 1, desired: 1 } })]);

  const v2 = commitAndPush(`sites/${site}.yaml`, siteYaml(site, { version: "2" }), "shop v2");
  await pushAndConverge(/version: 2/, "v2 (update)");
  await daemon?.idle();
  expect((await status()).sites[0]).toMatchObject({ state: "converged", appliedCommit: v2 });

  git(work, "revert", "--no-edit", "HEAD");
  git(work, "push", "-q", "origin", "HEAD:main");
  const reverted = git(work, "rev-parse", "HEAD");
  await pushAndConverge(/version: 1/, "revert of v2");
  await daemon?.idle();
  s = await status();
  expect(s.commit?.sha).toBe(reverted);
  expect(s.sites[0]).toMatchObject({ state: "converged", appliedCommit: reverted });
});

test("/metrics counts the runs and the actions applied", async () => {
  const r = await request("GET", "/metrics", undefined, api.headers);
  expect(r.status).toBe(200);
  const runs = /^simulium_reconcile_runs_total (\d+)/m.exec(r.body);
  // The start-up run and one per push (three), none failed.
  expect(Number(runs?.[1])).toBeGreaterThanOrEqual(4);
  expect(r.body).toMatch(/^simulium_reconcile_failures_total 0$/m);
  expect(r.body).toMatch(/^simulium_actions_applied_total\{kind="service",op="update"\} 2$/m);
  expect(r.body).toMatch(/^simulium_sites\{state="converged"\} 1$/m);
  expect(r.body).toMatch(/^simulium_last_successful_sync_timestamp_seconds [1-9]/m);
  expect((await request("GET", "/readyz")).status).toBe(200);
});

test("a commit that breaks the manifest marks the site invalid with its error, and it keeps serving", async () => {
  const broken = commitAndPush(`sites/${site}.yaml`, siteYaml(site, { version: "3" }).replace(/domains: \[.*\]/, "domains: 42"), "break shop");
  expect((await pushHook()).status).toBe(202);
  const s = await waitFor(async () => {
    const body = await status();
    return body.lastRun?.commit === broken && body.lastRun.ok ? body : undefined;
  }, "the broken commit to be reconciled", 60_000, 250);
  const record = s.sites.find((x) => x.site === site);
  expect(record).toMatchObject({ state: "invalid", invalid: { commit: broken, author: "Grace Operator" } });
  expect(record?.invalid?.error).toMatch(/domains/);
  expect(record?.lastError).toBe(record?.invalid?.error);
  expect(await page(docker, `${site}_web`)).toContain("version: 1");
  expect(await viaVarnish()).toContain("version: 1");
});
