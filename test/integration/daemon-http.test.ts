import { createHmac } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import http, { IncomingHttpHeaders } from "node:http";
import type { AddressInfo } from "node:net";
import os from "node:os";
import path from "node:path";
import { createMetrics } from "../../controller/daemon/metrics";
import { loadNotifier } from "../../controller/daemon/notify";
import { SecretFileError } from "../../controller/daemon/secret-file";
import { DaemonServer, startDaemonServer, WebhookEvent } from "../../controller/daemon/server";
import { createDaemonState } from "../../controller/daemon/state";
import { verifyWebhook } from "../../controller/source/webhook";

/** Real HTTP on 127.0.0.1: the daemon's server on port 0, and a local receiver for notifications. */
const dir = mkdtempSync(path.join(os.tmpdir(), "simulium-daemon-http-"));
const secret = "webhook-secret-0123456789";
const secretFile = path.join(dir, "webhook-secret");
writeFileSync(secretFile, `${secret}\n`, { mode: 0o600 });
const token = "daemon-api-token-9f8e7d6c5b4a";
const tokenFile = path.join(dir, "daemon-api-token");
writeFileSync(tokenFile, `${token}\n`, { mode: 0o600 });
const authorized = { Authorization: `Bearer ${token}` };

afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface Reply {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
}

function request(port: number, method: string, urlPath: string, body?: Buffer, headers: Record<string, string> = {}): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: "127.0.0.1", port, method, path: urlPath, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString() }));
    });
    req.on("error", reject);
    req.end(body);
  });
}

describe("daemon HTTP server", () => {
  let now = Date.parse("2024-06-01T12:00:00Z");
  const state = createDaemonState(() => now);
  const metrics = createMetrics({ health: state.snapshot, staleAfterSeconds: 180, now: () => now });
  const hooks: WebhookEvent[] = [];
  let server: DaemonServer;
  let port: number;

  beforeAll(async () => {
    server = await startDaemonServer({
      listen: { host: "127.0.0.1", port: 0 },
      health: state.snapshot,
      staleAfterSeconds: 180,
      status: () => ({ commit: "abc123", sites: [{ name: "acme", state: "ready" }] }),
      registry: metrics.registry,
      webhook: { secretFile, onWebhook: (e) => hooks.push(e) },
      apiTokenFile: tokenFile,
      now: () => now,
    });
    port = server.address.port;
  });

  afterAll(() => server.close());

  it("listens on the port the OS gave", () => {
    expect(server.address.host).toBe("127.0.0.1");
    expect(port).toBeGreaterThan(0);
  });

  it("GET /healthz answers 200 while the process lives", async () => {
    const r = await request(port, "GET", "/healthz");
    expect(r.status).toBe(200);
    expect(JSON.parse(r.body)).toEqual({ status: "ok" });
  });

  it("GET /readyz is 503 with reasons until a reconcile succeeded, the sync is fresh and the engine answered", async () => {
    let r = await request(port, "GET", "/readyz");
    expect(r.status).toBe(503);
    expect(JSON.parse(r.body).reasons).toContain("no reconcile has succeeded yet");

    state.syncSucceeded("2024-06-01T11:00:00Z");
    state.reconcileSucceeded();
    state.engineChecked(true);
    r = await request(port, "GET", "/readyz");
    expect(r.status).toBe(200);
    expect(JSON.parse(r.body)).toEqual({ ready: true, reasons: [] });

    now += 181_000;
    r = await request(port, "GET", "/readyz");
    expect(r.status).toBe(503);
    expect(JSON.parse(r.body).reasons).toEqual(["last successful sync was 181s ago (stale after 180s)"]);

    state.syncSucceeded("2024-06-01T11:00:00Z");
    state.engineChecked(false);
    r = await request(port, "GET", "/readyz");
    expect(r.status).toBe(503);
    expect(JSON.parse(r.body).reasons).toEqual(["the engine was unreachable at the last check"]);
    state.engineChecked(true);
  });

  it("GET /status returns the provider's JSON", async () => {
    const r = await request(port, "GET", "/status", undefined, authorized);
    expect(r.status).toBe(200);
    expect(r.headers["content-type"]).toMatch(/^application\/json/);
    expect(JSON.parse(r.body)).toEqual({ commit: "abc123", sites: [{ name: "acme", state: "ready" }] });
  });

  it("GET /metrics returns the Prometheus text of the daemon's registry", async () => {
    metrics.recordReconcile({ durationSeconds: 3, ok: true });
    metrics.setSiteStates({ ready: 1 });
    const r = await request(port, "GET", "/metrics", undefined, authorized);
    expect(r.status).toBe(200);
    expect(r.headers["content-type"]).toMatch(/^text\/plain/);
    expect(r.body).toContain("simulium_reconcile_runs_total 1");
    expect(r.body).toContain('simulium_sites{state="ready"} 1');
    expect(r.body).toContain("simulium_sync_stale 0");
    expect(r.body).toContain("simulium_process_resident_memory_bytes");
  });

  it("answers /status and /metrics only with the bearer token, /healthz and /readyz without", async () => {
    for (const p of ["/status", "/metrics"]) {
      const attempts: Record<string, string>[] = [{}, { Authorization: "Bearer wrong-token" }, { Authorization: `Basic ${token}` }, { Authorization: `Bearer ${token}x` }, { Authorization: "Bearer " }];
      for (const headers of attempts) {
        const r = await request(port, "GET", p, undefined, headers);
        expect(r.status).toBe(401);
        expect(r.headers["www-authenticate"]).toMatch(/^Bearer/);
        expect(r.body).not.toContain("acme");
        expect(r.body).not.toContain("simulium_");
      }
      expect((await request(port, "GET", p, undefined, { Authorization: `bearer ${token}` })).status).toBe(200);
    }
    expect((await request(port, "GET", "/healthz")).status).toBe(200);
    expect([200, 503]).toContain((await request(port, "GET", "/readyz")).status);
  });

  it("answers 404 for unknown paths and 405 for wrong methods", async () => {
    expect((await request(port, "GET", "/nope")).status).toBe(404);
    const r = await request(port, "POST", "/status");
    expect(r.status).toBe(405);
    expect(r.headers.allow).toBe("GET, HEAD");
    expect((await request(port, "GET", "/hooks/git")).status).toBe(405);
  });

  describe("POST /hooks/git", () => {
    const body = Buffer.from(JSON.stringify({ ref: "refs/heads/main" }));
    const sign = (b: Buffer, s = secret): string => `sha256=${createHmac("sha256", s).update(b).digest("hex")}`;

    beforeEach(() => {
      hooks.length = 0;
    });

    it("accepts a correctly signed GitHub delivery with 202 and calls onWebhook", async () => {
      const r = await request(port, "POST", "/hooks/git", body, { "X-Hub-Signature-256": sign(body), "X-GitHub-Event": "push", "Content-Type": "application/json" });
      expect(r.status).toBe(202);
      // The verified body goes along (a pull request's event is read from it), byte for byte.
      expect(hooks.map((h) => ({ provider: h.provider, event: h.event, body: h.body.toString("utf8") }))).toEqual([{ provider: "github", event: "push", body: body.toString("utf8") }]);
    });

    it("accepts Gitea's bare signature and GitLab's token", async () => {
      const hex = sign(body).slice("sha256=".length);
      expect((await request(port, "POST", "/hooks/git", body, { "X-Gitea-Signature": hex, "X-Gitea-Event": "push" })).status).toBe(202);
      expect((await request(port, "POST", "/hooks/git", body, { "X-Gitlab-Token": secret })).status).toBe(202);
      expect(hooks.map((h) => h.provider)).toEqual(["gitea", "gitlab"]);
    });

    it("rejects unsigned and wrongly signed deliveries with 401 and does not trigger", async () => {
      const unsigned = await request(port, "POST", "/hooks/git", body);
      expect(unsigned.status).toBe(401);
      expect(JSON.parse(unsigned.body).error).toContain("unsigned");
      expect((await request(port, "POST", "/hooks/git", body, { "X-Hub-Signature-256": sign(body, "guess") })).status).toBe(401);
      expect((await request(port, "POST", "/hooks/git", Buffer.from("{}"), { "X-Hub-Signature-256": sign(body) })).status).toBe(401);
      expect((await request(port, "POST", "/hooks/git", body, { "X-Gitlab-Token": "guess" })).status).toBe(401);
      expect(hooks).toEqual([]);
    });

    it("refuses bodies over 1 MiB with 413, declared or streamed", async () => {
      const big = Buffer.alloc(1024 * 1024 + 1, 0x61);
      const declared = await request(port, "POST", "/hooks/git", big, { "X-Hub-Signature-256": sign(big) });
      expect(declared.status).toBe(413);
      const streamed = await new Promise<number>((resolve, reject) => {
        const req = http.request({ host: "127.0.0.1", port, method: "POST", path: "/hooks/git", headers: { "Transfer-Encoding": "chunked", "X-Hub-Signature-256": sign(big) } }, (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        });
        req.on("error", reject);
        req.write(big.subarray(0, 600_000));
        req.end(big.subarray(600_000));
      });
      expect(streamed).toBe(413);
      expect(hooks).toEqual([]);
      // the server still serves after refusing
      expect((await request(port, "GET", "/healthz")).status).toBe(200);
    });
  });

  it("answers 404 on /hooks/git when no webhook secret is configured", async () => {
    const bare = await startDaemonServer({
      listen: { host: "127.0.0.1", port: 0 },
      health: () => ({}),
      staleAfterSeconds: 60,
      status: () => ({}),
      registry: createMetrics({ health: () => ({}), staleAfterSeconds: 60, processMetrics: false }).registry,
    });
    try {
      expect((await request(bare.address.port, "POST", "/hooks/git", Buffer.from("{}"), { "X-Gitlab-Token": secret })).status).toBe(404);
      // Nor is the status ever open because no token was given.
      for (const p of ["/status", "/metrics"]) {
        const r = await request(bare.address.port, "GET", p, undefined, authorized);
        expect(r.status).toBe(404);
        expect(JSON.parse(r.body).error).toContain("--api-token-file");
      }
    } finally {
      await bare.close();
    }
  });

  it("refuses to start when the webhook secret file is missing or empty", async () => {
    const base = {
      listen: { host: "127.0.0.1", port: 0 },
      health: () => ({}),
      staleAfterSeconds: 60,
      status: () => ({}),
      registry: createMetrics({ health: () => ({}), staleAfterSeconds: 60, processMetrics: false }).registry,
    };
    await expect(startDaemonServer({ ...base, webhook: { secretFile: path.join(dir, "absent"), onWebhook: () => undefined } })).rejects.toBeInstanceOf(SecretFileError);
    const empty = path.join(dir, "empty");
    writeFileSync(empty, "\n");
    await expect(startDaemonServer({ ...base, webhook: { secretFile: empty, onWebhook: () => undefined } })).rejects.toThrow(/is empty/);
    await expect(startDaemonServer({ ...base, apiTokenFile: path.join(dir, "absent") })).rejects.toBeInstanceOf(SecretFileError);
    await expect(startDaemonServer({ ...base, apiTokenFile: empty })).rejects.toThrow(/is empty/);
  });

  it("answers 500 without details when the status provider fails, and reports the error", async () => {
    const errors: unknown[] = [];
    const failing = await startDaemonServer({
      listen: { host: "127.0.0.1", port: 0 },
      health: () => ({}),
      staleAfterSeconds: 60,
      status: () => Promise.reject(new Error("engine list failed: secret-ish detail")),
      registry: createMetrics({ health: () => ({}), staleAfterSeconds: 60, processMetrics: false }).registry,
      onError: (e) => errors.push(e),
      apiTokenFile: tokenFile,
    });
    try {
      const r = await request(failing.address.port, "GET", "/status", undefined, authorized);
      expect(r.status).toBe(500);
      expect(r.body).not.toContain("secret-ish");
      expect(errors).toHaveLength(1);
    } finally {
      await failing.close();
    }
  });
});

describe("notifications to a local receiver", () => {
  interface Received {
    readonly path: string;
    readonly headers: IncomingHttpHeaders;
    readonly body: Buffer;
  }
  const received: Received[] = [];
  let failNext = 0;
  let receiver: http.Server;
  let base: string;
  const hookSecret = "notify-secret-abcdef";
  const apiToken = "api-token-0011223344";

  beforeAll(async () => {
    writeFileSync(path.join(dir, "notify-secret"), hookSecret);
    writeFileSync(path.join(dir, "api-token"), `${apiToken}\n`);
    receiver = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on("data", (c: Buffer) => chunks.push(c));
      req.on("end", () => {
        if (failNext > 0) {
          failNext--;
          res.writeHead(503).end();
          return;
        }
        received.push({ path: req.url ?? "", headers: req.headers, body: Buffer.concat(chunks) });
        res.writeHead(req.url?.includes("/statuses/") ? 201 : 204).end();
      });
    });
    await new Promise<void>((resolve) => receiver.listen(0, "127.0.0.1", resolve));
    base = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    await new Promise<void>((resolve) => receiver.close(() => resolve()));
  });

  beforeEach(() => {
    received.length = 0;
  });

  async function notifier(now: () => number) {
    return loadNotifier(
      {
        webhooks: [{ url: `${base}/chat/hook/T0KEN-IN-PATH`, secretFile: path.join(dir, "notify-secret") }],
        commitStatus: { api: `${base}/api/v1/`, tokenFile: path.join(dir, "api-token") },
        suppressSeconds: 600,
      },
      { instance: "prod", sourceUrl: "https://gitea.example.org/ops/sites.git", now },
    );
  }

  it("POSTs signed JSON that the receiver can verify, and suppresses an unchanged failure", async () => {
    let now = Date.parse("2024-06-01T12:00:00Z");
    const n = await notifier(() => now);
    const event = { type: "site.failed", site: "acme", commit: "c1", message: "web: task exited 1" } as const;
    const deliveries = await n.notify(event);
    expect(deliveries).toEqual([{ target: base, ok: true, status: 204 }]);
    expect(received).toHaveLength(1);
    const [got] = received;
    expect(got?.path).toBe("/chat/hook/T0KEN-IN-PATH");
    expect(got?.headers["content-type"]).toBe("application/json");
    expect(got?.headers["x-simulium-event"]).toBe("site.failed");
    expect(verifyWebhook(got?.headers ?? {}, got?.body ?? Buffer.alloc(0), hookSecret)).toEqual({ ok: true, provider: "github" });
    expect(JSON.parse(got?.body.toString() ?? "")).toEqual({ ...event, event: "site.failed", instance: "prod", time: "2024-06-01T12:00:00.000Z" });

    now += 60_000;
    expect(await n.notify(event)).toEqual([]);
    expect(received).toHaveLength(1);
    now += 600_000;
    expect(await n.notify(event)).toHaveLength(1);
    expect(received).toHaveLength(2);
  });

  it("sets the commit status with the token header when a commit is applied", async () => {
    const n = await notifier(Date.now);
    const sha = "0123456789abcdef0123456789abcdef01234567";
    const deliveries = await n.notify({ type: "commit.applied", commit: sha, sites: { ready: 2, failed: 1, invalid: 0 } });
    expect(deliveries.every((d) => d.ok)).toBe(true);
    const status = received.find((r) => r.path.includes("/statuses/"));
    expect(status?.path).toBe(`/api/v1/repos/ops/sites/statuses/${sha}`);
    expect(status?.headers.authorization).toBe(`token ${apiToken}`);
    expect(JSON.parse(status?.body.toString() ?? "")).toEqual({ state: "failure", context: "simulium/prod", description: "2 ready, 1 failed, 0 invalid" });
    expect(JSON.stringify(deliveries)).not.toContain(apiToken);
    // a directory source's "local" commit is never sent to a forge
    expect(await n.setCommitStatus("local", "pending", "x")).toBeUndefined();
  });

  it("retries a busy receiver and reports a dead one without throwing", async () => {
    const n = await notifier(Date.now);
    failNext = 1;
    const [d] = await n.notify({ type: "site.invalid", site: "beta", commit: "c1", message: "spec.domains: required" });
    expect(d).toEqual({ target: base, ok: true, status: 204 });
    expect(received).toHaveLength(1);

    const dead = await loadNotifier(
      { webhooks: [{ url: "http://127.0.0.1:1/hook", secretFile: path.join(dir, "notify-secret") }], suppressSeconds: 0 },
      { instance: "prod", attempts: 1, timeoutMs: 2_000 },
    );
    const [failed] = await dead.notify({ type: "site.recovered", site: "acme", commit: "c2" });
    expect(failed?.ok).toBe(false);
    expect(failed?.target).toBe("http://127.0.0.1:1");
  });
});
