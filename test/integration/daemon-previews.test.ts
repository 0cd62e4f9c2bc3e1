import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import http from "node:http";
import os from "node:os";
import path from "node:path";
import { backupSite } from "../../controller/backup/run";
import { loadBackupTarget } from "../../controller/backup/target";
import { RunningDaemon } from "../../controller/daemon/daemon";
import { startTestDaemon, testGit } from "../support/daemon";
import { LABEL } from "../../controller/desired/labels";
import type { ApiService } from "../../controller/engine/api-types";
import { connectDocker } from "../../controller/engine/docker";
import { signatureHeader } from "../../controller/source/webhook";
import { freePort } from "../harness/http";
import { clusterYaml, siteYaml } from "../support/manifests";
import { siteSql, whenDatabaseAnswers } from "../support/site-sql";
import { execInService, removeInstance, testInstance, waitFor } from "../support/swarm";

/**
 * Pull-request previews end to end: a bare "forge" repo over file:// with the pull request's
 * head at refs/pull/42/head, GitHub's signed `pull_request` webhooks (real payload shape),
 * the daemon deploying `<site>--pr42` seeded from the site's latest backup, commit statuses
 * with its URL and the plan posted to a loopback forge API, a push updating it, and the close
 * removing every object of it, volumes included; production's services keep their
 * Version.Index throughout.
 */
const docker = connectDocker();
const instance = testInstance("prv");
const site = `${instance}-a`;
const preview = `${site}--pr42`;
const root = mkdtempSync(path.join(os.tmpdir(), "simulium-previews-"));
const bare = path.join(root, "forge.git");
const work = path.join(root, "work");
const stateDir = path.join(root, "state");
const secret = "previews-webhook-secret";
const secretFile = path.join(root, "webhook-secret");
const FILES = "/var/www/html/files";
const received: { path: string; body: string }[] = [];
/** The pull request's comments on the loopback forge (GitHub's issue comments API). */
const comments: { id: number; body: string; user: { login: string } }[] = [];
let receiver: http.Server;
let daemon: RunningDaemon | undefined;
let prodBefore: Record<string, number>;

const git = testGit(root);

const siteFile = (version: string) => siteYaml(site, { database: true, version }) + `  backup: {schedule: "0 3 * * *", keep: 2}\n`;

/** Commits the site at `version` on the pull request's branch and pushes it where GitHub keeps a PR's head. */
function pushPullRequest(version: string): string {
  writeFileSync(path.join(work, "sites", `${site}.yaml`), siteFile(version));
  git(work, "commit", "-q", "-am", `site at version ${version}`);
  git(work, "push", "-q", "-f", "origin", "HEAD:refs/pull/42/head");
  return git(work, "rev-parse", "HEAD");
}

function pullRequestHook(action: string, head: string): Promise<number> {
  const body = JSON.stringify({
    action,
    number: 42,
    pull_request: {
      html_url: "https://github.com/ops/sites/pull/42",
      number: 42,
      state: action === "closed" ? "closed" : "open",
      merged: false,
      head: { ref: "new-version", sha: head, repo: { full_name: "ops/sites" } },
      base: { ref: "main", sha: git(work, "rev-parse", "main"), repo: { full_name: "ops/sites" } },
    },
    repository: { full_name: "ops/sites" },
  });
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        host: "127.0.0.1",
        port: daemon?.port,
        method: "POST",
        path: "/hooks/git",
        headers: { "Content-Type": "application/json", "X-GitHub-Event": "pull_request", "X-Hub-Signature-256": signatureHeader(body, secret) },
      },
      (res) => {
        res.resume();
        res.on("end", () => resolve(res.statusCode ?? 0));
      },
    );
    req.on("error", reject);
    req.end(body);
  });
}

async function inWeb(service: string, script: string): Promise<string> {
  const r = await execInService(docker, `${service}_web`, ["sh", "-c", script]);
  if (r.exitCode !== 0) throw new Error(`${script} exited ${r.exitCode}: ${r.output}`);
  return r.output;
}

async function versions(of: string): Promise<Record<string, number>> {
  const services = await docker.listServices({ filters: { label: [`${LABEL.instance}=${instance}`, `${LABEL.site}=${of}`] } });
  return Object.fromEntries(services.map((s) => [s.Spec?.Name ?? "", s.Version?.Index ?? -1]));
}

async function webEnv(of: string): Promise<string[]> {
  const s = (await docker.getService(`${of}_web`).inspect()) as ApiService;
  return s.Spec?.TaskTemplate?.ContainerSpec?.Env ?? [];
}

function statuses(sha: string): { state: string; context: string; description: string; target_url?: string }[] {
  return received.filter((r) => r.path === `/api/v1/repos/ops/sites/statuses/${sha}`).map((r) => JSON.parse(r.body) as { state: string; context: string; description: string; target_url?: string });
}

beforeAll(async () => {
  const port = await freePort();
  receiver = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", (): void => {
      const url = req.url ?? "";
      const body = Buffer.concat(chunks).toString();
      received.push({ path: url, body });
      const json = (status: number, value: unknown): void => void res.writeHead(status, { "Content-Type": "application/json" }).end(JSON.stringify(value));
      if (url === "/api/v1/user") return json(200, { login: "simulium-bot" });
      if (url.startsWith("/api/v1/repos/ops/sites/issues/42/comments")) {
        if (req.method === "GET") return json(200, comments);
        const made = { id: 100 + comments.length, body: (JSON.parse(body) as { body: string }).body, user: { login: "simulium-bot" } };
        comments.push(made);
        return json(201, made);
      }
      const edit = /^\/api\/v1\/repos\/ops\/sites\/issues\/comments\/(\d+)$/.exec(url);
      const mine = comments.find((c) => c.id === Number(edit?.[1]));
      if (req.method === "PATCH" && mine) {
        mine.body = (JSON.parse(body) as { body: string }).body;
        return json(200, mine);
      }
      res.writeHead(201).end("{}");
    });
  });
  await new Promise<void>((resolve) => receiver.listen(port, "127.0.0.1", resolve));
  writeFileSync(secretFile, secret);
  writeFileSync(path.join(root, "forge-token"), "forge-token-value");
  writeFileSync(path.join(root, "api-token"), "api-token-value");
  const cluster = clusterYaml(instance, `  backup: {image: "simulium/backup:local"}\n  previews: {domain: "{site}-pr{number}.preview.test", max: 2}\n`);
  git(root, "init", "-q", "--bare", "-b", "main", bare);
  git(root, "clone", "-q", bare, work);
  mkdirSync(path.join(work, "sites"), { recursive: true });
  writeFileSync(path.join(work, "simulium.yaml"), cluster);
  writeFileSync(path.join(work, "sites", `${site}.yaml`), siteFile("1"));
  git(work, "add", "-A");
  git(work, "commit", "-q", "-m", "production");
  git(work, "push", "-q", "origin", "HEAD:main");
  daemon = await startTestDaemon({
    repo: `file://${bare}`,
    stateDir,
    webhookSecretFile: secretFile,
    apiTokenFile: path.join(root, "api-token"),
    dashboardUrl: "https://simulium.example.org",
    notify: {
      commitStatus: { api: `http://127.0.0.1:${port}/api/v1`, repository: "ops/sites", tokenFile: path.join(root, "forge-token") },
      pullRequestComments: { api: `http://127.0.0.1:${port}/api/v1`, repository: "ops/sites", tokenFile: path.join(root, "forge-token") },
    },
    docker,
  });
  await daemon.idle();
  await whenDatabaseAnswers(docker, site, "CREATE TABLE IF NOT EXISTS notes (id INT PRIMARY KEY, body TEXT)");
  await inWeb(site, `${siteSql("INSERT INTO notes VALUES (1, 'production row')")} && echo production-file > ${FILES}/a.txt`);
  const made = await backupSite(docker, await loadBackupTarget({ repo: work, stateDir }, site));
  expect(made.ok).toBe(true);
  prodBefore = await versions(site);
  expect(Object.keys(prodBefore).sort()).toEqual([`${site}_db`, `${site}_web`]);
  git(work, "switch", "-q", "-c", "new-version");
}, 300_000);

afterAll(async () => {
  await daemon?.stop();
  await new Promise<void>((resolve) => receiver?.close(() => resolve()));
  await removeInstance(docker, instance);
  rmSync(root, { recursive: true, force: true });
});

test("opened: the preview runs at the head, seeded with production's row and file, its URL in a commit status, the plan posted", async () => {
  const head = pushPullRequest("2");
  expect(await pullRequestHook("opened", head)).toBe(202);
  const ready = await waitFor(async () => statuses(head).find((s) => s.context === `simulium/${instance}/preview/${site}` && s.state === "success"), "the preview's status", 300_000, 1000).catch((err: Error) => {
    throw new Error(`${err.message}; statuses received: ${JSON.stringify(received.map((r) => [r.path, r.body]))}`);
  });
  expect(ready.target_url).toBe(`http://${site}-pr42.preview.test/`);
  expect(await webEnv(preview)).toContain("SITE_VERSION=2");
  const rows = await waitFor(() => inWeb(preview, siteSql("SELECT id, body FROM notes ORDER BY id")).catch(() => undefined), "the seeded preview to serve", 120_000, 2000);
  expect(rows).toBe("1\tproduction row\n");
  expect(await inWeb(preview, `cat ${FILES}/a.txt`)).toBe("production-file\n");
  const web = (await docker.getService(`${preview}_web`).inspect()) as ApiService;
  expect(web.Spec?.Labels?.[LABEL.deletionPolicy]).toBe("Delete");
  const plan = statuses(head).find((s) => s.context === `simulium/${instance}/plan`);
  expect(plan?.state).toBe("success");
  expect(plan?.description).toMatch(/^Plan: \d+ to create, 1 to update/);
  // The status links the whole plan on the dashboard (--dashboard-url), served behind the API token.
  expect(plan?.target_url).toBe(`https://simulium.example.org/dashboard/plan/${head}`);
  const page = await fetch(`http://127.0.0.1:${daemon?.port}/dashboard/plan/${head}`, { headers: { Authorization: "Bearer api-token-value" } });
  expect(page.status).toBe(200);
  const html = await page.text();
  expect(html).toContain(`~ service ${site}_web will be updated in place`);
  expect(html).toContain("Plan of pull request #42");
  expect(html).not.toContain("forge-token-value");
  expect((await fetch(`http://127.0.0.1:${daemon?.port}/dashboard/plan/${head}`, { redirect: "manual" })).status).toBe(303);
  // One comment with the plan of the head, its preview's URL once it runs.
  const commented = await waitFor(async () => (comments[0]?.body.includes("ready at") ? comments : undefined), "the plan comment with the preview ready", 60_000, 500);
  expect(commented).toHaveLength(1);
  expect(commented[0]?.body.startsWith(`<!-- simulium-plan:${instance} -->`)).toBe(true);
  expect(commented[0]?.body).toContain(`~ service ${site}_web updated in place`);
  expect(commented[0]?.body).toContain(`- \`${site}\`: ready at http://${site}-pr42.preview.test/`);
  expect(commented[0]?.body).not.toContain("forge-token-value");
  expect(await versions(site)).toEqual(prodBefore);
}, 400_000);

test("a push updates the preview in place (its data kept, not seeded again); production untouched", async () => {
  await inWeb(preview, siteSql("INSERT INTO notes VALUES (2, 'preview only')"));
  const head = pushPullRequest("3");
  expect(await pullRequestHook("synchronize", head)).toBe(202);
  await waitFor(async () => ((await webEnv(preview)).includes("SITE_VERSION=3") ? true : undefined), "the preview at the new head", 180_000, 1000);
  await waitFor(async () => statuses(head).find((s) => s.context === `simulium/${instance}/preview/${site}` && s.state === "success"), "the new head's status", 180_000, 1000);
  const rows = await waitFor(() => inWeb(preview, siteSql("SELECT id FROM notes ORDER BY id")).catch(() => undefined), "the updated preview to serve", 120_000, 2000);
  expect(rows).toBe("1\n2\n");
  expect(await inWeb(site, siteSql("SELECT id FROM notes ORDER BY id"))).toBe("1\n");
  expect(await versions(site)).toEqual(prodBefore);
  // The same comment, edited for the new head: never a second one.
  await waitFor(async () => (comments[0]?.body.includes(head.slice(0, 12)) && comments[0].body.includes("ready at") ? true : undefined), "the comment at the new head", 60_000, 500);
  expect(comments).toHaveLength(1);
  expect(received.filter((r) => r.path.startsWith("/api/v1/repos/ops/sites/issues/comments/")).length).toBeGreaterThanOrEqual(2);
}, 400_000);

test("closed: every object of the preview goes, its volumes and secrets too; production keeps everything", async () => {
  expect(await pullRequestHook("closed", git(work, "rev-parse", "HEAD"))).toBe(202);
  const label = [`${LABEL.instance}=${instance}`, `${LABEL.site}=${preview}`];
  await waitFor(
    async () => {
      const [services, volumes, secrets, networks] = await Promise.all([
        docker.listServices({ filters: { label } }),
        docker.listVolumes({ filters: { label } }),
        docker.listSecrets({ filters: { label } }),
        docker.listNetworks({ filters: { label } }),
      ]);
      return services.length + (volumes.Volumes ?? []).length + secrets.length + networks.length === 0 ? true : undefined;
    },
    "every object of the preview to be removed",
    180_000,
    1000,
  );
  // The comment says so, still the one comment.
  expect(comments).toHaveLength(1);
  expect(comments[0]?.body).toContain(`- \`${site}\`: preview removed`);
  expect(await inWeb(site, siteSql("SELECT id FROM notes ORDER BY id"))).toBe("1\n");
  expect(await versions(site)).toEqual(prodBefore);
}, 300_000);
