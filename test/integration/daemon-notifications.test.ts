import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import http from "node:http";
import { AddressInfo } from "node:net";
import os from "node:os";
import path from "node:path";
import { RunningDaemon, startDaemon } from "../../controller/daemon/daemon";
import { connectDocker } from "../../controller/engine/docker";
import { verifyWebhook } from "../../controller/source/webhook";
import { clusterYaml, siteYaml } from "../support/manifests";
import { quietLog } from "../support/reconcile";
import { removeInstance, testInstance, waitFor } from "../support/swarm";

/**
 * Notifications: a webhook URL in simulium.yaml (spec.notifications), signed with the secret
 * of the daemon's flag, and a commit status on a forge-like API set by flags; both a real HTTP
 * server on loopback. Then a hostile commit that tries to choose a controller file and send it.
 */
const docker = connectDocker();
const instance = testInstance("dnt");
const site = `${instance}-news`;
const root = mkdtempSync(path.join(os.tmpdir(), "simulium-daemon-notify-"));
const bare = path.join(root, "forge.git");
const work = path.join(root, "work");
const hookSecret = "notify-test-secret";
const token = "forge-token-not-for-logs";
/** Stands for a controller file a commit must never have sent (the restic password, say). */
const controllerSecret = "restic-password-of-the-controller";
let daemon: RunningDaemon | undefined;

interface Received {
  readonly path: string;
  readonly headers: http.IncomingHttpHeaders;
  readonly body: string;
}
const received: Received[] = [];
const receiver = http.createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on("data", (c: Buffer) => chunks.push(c));
  req.on("end", () => {
    received.push({ path: req.url ?? "", headers: req.headers, body: Buffer.concat(chunks).toString() });
    res.writeHead(201).end("{}");
  });
});

function git(cwd: string, ...args: string[]): string {
  return execFileSync("git", ["-c", "user.name=Ada Operator", "-c", "user.email=ada@example.org", "-c", "commit.gpgsign=false", ...args], {
    cwd,
    encoding: "utf8",
    env: { ...process.env, GIT_CONFIG_NOSYSTEM: "1", HOME: root },
  }).trim();
}

beforeAll(async () => {
  await new Promise<void>((resolve) => receiver.listen(0, "127.0.0.1", resolve));
  const port = (receiver.address() as AddressInfo).port;
  writeFileSync(path.join(root, "hook-secret"), hookSecret);
  writeFileSync(path.join(root, "forge-token"), token);
  writeFileSync(path.join(root, "restic-password"), controllerSecret);
  const notifications = ["  notifications:", `    webhooks: [{url: "http://127.0.0.1:${port}/events"}]`, ""].join("\n");
  git(root, "init", "-q", "--bare", "-b", "main", bare);
  git(root, "clone", "-q", bare, work);
  mkdirSync(path.join(work, "sites"), { recursive: true });
  writeFileSync(path.join(work, "simulium.yaml"), clusterYaml(instance, notifications));
  writeFileSync(path.join(work, "sites", `${site}.yaml`), siteYaml(site));
  git(work, "add", "-A");
  git(work, "commit", "-q", "-m", "news site");
  git(work, "push", "-q", "origin", "HEAD:main");
  daemon = await startDaemon({
    repo: `file://${bare}`,
    branch: "main",
    stateDir: path.join(root, "state"),
    listen: { host: "127.0.0.1", port: 0 },
    pollSeconds: 3600,
    resyncSeconds: 3600,
    notify: {
      secretFile: path.join(root, "hook-secret"),
      commitStatus: { api: `http://127.0.0.1:${port}/api/v1`, repository: "ops/sites", tokenFile: path.join(root, "forge-token") },
    },
    log: quietLog,
    docker,
    convergePollMs: 500,
  });
  await daemon.idle();
});

afterAll(async () => {
  await daemon?.stop();
  await new Promise<void>((resolve) => receiver.close(() => resolve()));
  await removeInstance(docker, instance);
  rmSync(root, { recursive: true, force: true });
});

test("simulium.yaml's notifications: a signed commit.applied event and a success status for the commit", async () => {
  const sha = git(work, "rev-parse", "HEAD");
  const statusCall = await waitFor(async () => received.find((r) => r.path === `/api/v1/repos/ops/sites/statuses/${sha}`), "the commit status", 60_000, 200);
  expect(statusCall.headers.authorization).toBe(`token ${token}`);
  expect(JSON.parse(statusCall.body)).toMatchObject({ state: "success", context: `simulium/${instance}` });

  const event = await waitFor(async () => received.find((r) => r.path === "/events" && r.body.includes('"commit.applied"')), "the commit.applied event", 60_000, 200);
  const signed = verifyWebhook({ "x-hub-signature-256": String(event.headers["x-hub-signature-256"]) }, Buffer.from(event.body), hookSecret);
  expect(signed.ok).toBe(true);
  expect(JSON.parse(event.body)).toMatchObject({ type: "commit.applied", commit: sha, sites: { ready: 1, failed: 0, invalid: 0 } });
  // The token and the webhook secret are credentials: never inside what is sent as data.
  for (const r of received) {
    expect(r.body).not.toContain(token);
    expect(r.body).not.toContain(hookSecret);
  }
});

test("a resync of the same commit posts no second status", async () => {
  const before = received.filter((r) => r.path.includes("/statuses/")).length;
  daemon?.trigger("resync");
  await daemon?.idle();
  expect(received.filter((r) => r.path.includes("/statuses/")).length).toBe(before);
});

test("a commit that names a controller file as a token file and its own API gets simulium.yaml refused; the file is never sent", async () => {
  const port = (receiver.address() as AddressInfo).port;
  const hostile = [
    "  notifications:",
    `    webhooks: [{url: "http://127.0.0.1:${port}/events", secretFile: "${path.join(root, "restic-password")}"}]`,
    `    commitStatus: {api: "http://127.0.0.1:${port}/exfil", repository: "ops/sites", tokenFile: "${path.join(root, "restic-password")}"}`,
    "",
  ].join("\n");
  writeFileSync(path.join(work, "simulium.yaml"), clusterYaml(instance, hostile));
  git(work, "commit", "-q", "-am", "notifications to my server");
  git(work, "push", "-q", "origin", "HEAD:main");
  daemon?.trigger("poll");
  await daemon?.idle();
  const error = daemon?.status().lastRun?.error ?? "";
  expect(error).toContain("simulium.yaml");
  expect(error).toContain("--commit-status-token-file");
  // Deliveries are sent after the run: give any that would go out the time to arrive.
  await new Promise((r) => setTimeout(r, 1000));
  for (const r of received) {
    expect(r.path.startsWith("/exfil")).toBe(false);
    expect(JSON.stringify(r.headers)).not.toContain(controllerSecret);
    expect(r.body).not.toContain(controllerSecret);
  }
});
