import { createHash, timingSafeEqual } from "node:crypto";
import http, { IncomingMessage, ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { Registry } from "prom-client";
import { verifyWebhook, WebhookProvider } from "../source/webhook";
import { createDashboardRoutes } from "./dashboard-http";
import type { DashboardPlan, DashboardView } from "./dashboard-render";
import type { ListenAddress } from "./listen";
import { readSecretFile } from "./secret-file";
import { HealthSnapshot, readiness } from "./state";

/** JSON-serialisable status (commit in force, per-site states) assembled by the reconcile loop. */
export type StatusProvider = () => unknown | Promise<unknown>;

export interface WebhookEvent {
  readonly provider: WebhookProvider;
  readonly event?: string;
  /** The verified body: a pull-request event is read from it (daemon/preview-loop.ts). */
  readonly body: Buffer;
}

export interface DaemonServerOptions {
  readonly listen: ListenAddress;
  readonly health: () => HealthSnapshot;
  readonly staleAfterSeconds: number;
  readonly status: StatusProvider;
  readonly registry: Registry;
  /** Without it, POST /hooks/git answers 404: no unauthenticated trigger is ever exposed. */
  readonly webhook?: {
    readonly secretFile: string;
    /** Called after the signature was verified; the server has already answered 202. */
    readonly onWebhook: (event: WebhookEvent) => void;
  };
  /**
   * File holding the bearer token that /status and /metrics require (they name every site, its
   * errors and its hook output). Without it those endpoints answer 404: nothing but /healthz,
   * /readyz and the signed webhook is ever served unauthenticated.
   */
  readonly apiTokenFile?: string;
  /** The dashboard's data (/dashboard, behind the same token, see dashboard-http.ts); without it no page is served. */
  readonly dashboard?: () => Promise<DashboardView>;
  /** A pull request head's last plan, for /dashboard/plan/<sha>. */
  readonly plan?: (sha: string) => DashboardPlan | undefined;
  /** Internal failures (a status callback that threw); the client only sees a 500. */
  readonly onError?: (error: unknown) => void;
  readonly now?: () => number;
}

export interface DaemonServer {
  readonly address: ListenAddress;
  close(): Promise<void>;
}

/** Pushes with a large changeset are well under this; anything bigger is not a push event. */
export const MAX_WEBHOOK_BODY = 1024 * 1024;

export async function startDaemonServer(options: DaemonServerOptions): Promise<DaemonServer> {
  // Read once at start: a missing secret must stop the daemon, not fail every delivery later.
  const secret = options.webhook ? await readSecretFile(options.webhook.secretFile) : undefined;
  const apiToken = options.apiTokenFile !== undefined ? digest(await readSecretFile(options.apiTokenFile)) : undefined;
  const now = options.now ?? Date.now;
  const dashboard = options.dashboard ? createDashboardRoutes({ tokenDigest: apiToken, view: options.dashboard, ...(options.plan ? { plan: options.plan } : {}), now }) : undefined;
  const server = http.createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      options.onError?.(err);
      if (!res.headersSent) sendJson(res, 500, { error: "internal error" });
      else res.destroy();
    });
  });
  // Slow or idle clients must not pin sockets of a small daemon.
  server.requestTimeout = 30_000;
  server.headersTimeout = 10_000;

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = (req.url ?? "/").split("?")[0];
    if (dashboard && (await dashboard.handle(req, res, path ?? "/"))) return;
    const route = ROUTES[path ?? ""];
    if (!route) return sendJson(res, 404, { error: "not found" });
    if (req.method !== route && !(route === "GET" && req.method === "HEAD")) {
      res.setHeader("Allow", route === "GET" ? "GET, HEAD" : route);
      return sendJson(res, 405, { error: "method not allowed" });
    }
    if (!OPEN_PATHS.has(path ?? "")) {
      if (apiToken === undefined) return sendJson(res, 404, { error: `${path} needs the daemon to run with --api-token-file` });
      if (!bearerMatches(req.headers.authorization, apiToken)) {
        res.setHeader("WWW-Authenticate", 'Bearer realm="simulium"');
        return sendJson(res, 401, { error: "a valid bearer token is required (Authorization: Bearer <token>)" });
      }
    }
    switch (path) {
      case "/healthz":
        return sendJson(res, 200, { status: "ok" });
      case "/readyz": {
        const r = readiness(options.health(), now(), options.staleAfterSeconds);
        return sendJson(res, r.ready ? 200 : 503, { ready: r.ready, reasons: r.reasons });
      }
      case "/status":
        return sendJson(res, 200, await options.status());
      case "/metrics": {
        const text = await options.registry.metrics();
        res.writeHead(200, { "Content-Type": options.registry.contentType, "Cache-Control": "no-store" });
        res.end(text);
        return;
      }
      case "/hooks/git":
        return hook(req, res);
    }
  }

  async function hook(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (!options.webhook || secret === undefined) return sendJson(res, 404, { error: "webhooks are not configured" });
    const body = await readBody(req, MAX_WEBHOOK_BODY);
    if (body === "too-large") {
      res.setHeader("Connection", "close");
      return sendJson(res, 413, { error: `body larger than ${MAX_WEBHOOK_BODY} bytes` });
    }
    const verdict = verifyWebhook(req.headers, body, secret);
    if (!verdict.ok) return sendJson(res, 401, { error: `webhook rejected: ${verdict.reason}` });
    sendJson(res, 202, { accepted: true, provider: verdict.provider });
    options.webhook.onWebhook(verdict.event === undefined ? { provider: verdict.provider, body } : { provider: verdict.provider, event: verdict.event, body });
  }

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.listen.port, options.listen.host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const bound = server.address() as AddressInfo;
  return {
    address: { host: bound.address, port: bound.port },
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((err) => (err ? reject(err) : resolve()));
        server.closeIdleConnections();
      }),
  };
}

const ROUTES: Readonly<Record<string, "GET" | "POST">> = {
  "/healthz": "GET",
  "/readyz": "GET",
  "/status": "GET",
  "/metrics": "GET",
  "/hooks/git": "POST",
};

/** Liveness and readiness say nothing about the sites; the webhook carries its own signature. */
const OPEN_PATHS: ReadonlySet<string> = new Set(["/healthz", "/readyz", "/hooks/git"]);

/** Fixed-length digests, so the comparison takes the same time whatever the guess's length. */
function digest(value: string): Buffer {
  return createHash("sha256").update(value, "utf8").digest();
}

function bearerMatches(header: string | undefined, token: Buffer): boolean {
  const m = /^Bearer +(\S+) *$/i.exec(header ?? "");
  return m?.[1] !== undefined && timingSafeEqual(digest(m[1]), token);
}

function sendJson(res: ServerResponse, code: number, body: unknown): void {
  const text = JSON.stringify(body, null, 2) + "\n";
  res.writeHead(code, { "Content-Type": "application/json; charset=utf-8", "Cache-Control": "no-store" });
  res.end(text);
}

/** The raw bytes (signatures are over them, not over re-serialised JSON), capped. */
function readBody(req: IncomingMessage, limit: number): Promise<Buffer | "too-large"> {
  const declared = Number(req.headers["content-length"]);
  if (Number.isFinite(declared) && declared > limit) {
    req.resume();
    return Promise.resolve("too-large");
  }
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let done = false;
    req.on("data", (chunk: Buffer) => {
      if (done) return;
      size += chunk.length;
      if (size > limit) {
        done = true;
        // Stop buffering but keep draining so the 413 can still be written.
        resolve("too-large");
        return;
      }
      chunks.push(chunk);
    });
    req.on("end", () => {
      if (!done) resolve(Buffer.concat(chunks));
    });
    req.on("error", reject);
  });
}
