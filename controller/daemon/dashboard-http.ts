import { createHash, randomBytes, timingSafeEqual } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import { APP_CSS, APP_JS } from "./dashboard-assets";
import {
  DashboardPlan,
  DashboardView,
  renderFleetMain,
  renderFleetPage,
  renderLoginPage,
  renderNotFoundPage,
  renderPlanNotFoundPage,
  renderPlanPage,
  renderSiteMain,
  renderSitePage,
} from "./dashboard-render";
import { isHeadSha } from "./plan-store";

/**
 * The dashboard's routes on the daemon's listener. A browser cannot send the bearer token of
 * /status with a plain link, so the token is posted once to a login form and exchanged for a
 * random session id in an HttpOnly, SameSite=Strict cookie: the token itself is never in a URL,
 * a page or a cookie. A request with the bearer header is served too (scripts, curl).
 */
export interface DashboardRoutes {
  /** true when the path is the dashboard's (and the response was written). */
  handle(req: IncomingMessage, res: ServerResponse, path: string): Promise<boolean>;
}

export interface DashboardOptions {
  /** sha256 of the API token; undefined: the daemon runs without --api-token-file. */
  readonly tokenDigest: Buffer | undefined;
  readonly view: () => Promise<DashboardView>;
  /** A pull request head's last plan (preview-loop.ts); undefined: the daemon makes none. */
  readonly plan?: (sha: string) => DashboardPlan | undefined;
  readonly now?: () => number;
  readonly sessionSeconds?: number;
}

export const SESSION_COOKIE = "simulium_session";
const MAX_SESSIONS = 1000;
const MAX_LOGIN_BODY = 4096;
const PLAN_PREFIX = "/dashboard/plan/";
/** A head sha as git names it, nothing else: the path is echoed in pages and in the login redirect. */
const isPlanPath = (path: string): boolean => path.startsWith(PLAN_PREFIX) && isHeadSha(path.slice(PLAN_PREFIX.length));

/** Every dashboard response: no inline script or style, no framing, no referrer leaving the page. */
const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  "Content-Security-Policy":
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
  "X-Content-Type-Options": "nosniff",
  "X-Frame-Options": "DENY",
  "Referrer-Policy": "no-referrer",
};

export function createDashboardRoutes(options: DashboardOptions): DashboardRoutes {
  const now = options.now ?? Date.now;
  const ttlMs = (options.sessionSeconds ?? 12 * 3600) * 1000;
  /** Session id digest → expiry; the cookie holds the id, the map only its digest. */
  const sessions = new Map<string, number>();

  const sessionValid = (req: IncomingMessage): boolean => {
    const id = cookie(req.headers.cookie, SESSION_COOKIE);
    if (id === undefined) return false;
    const key = digest(id).toString("hex");
    const expires = sessions.get(key);
    if (expires === undefined) return false;
    if (expires <= now()) {
      sessions.delete(key);
      return false;
    }
    return true;
  };
  const authorised = (req: IncomingMessage): boolean =>
    options.tokenDigest !== undefined && (bearerMatches(req.headers.authorization, options.tokenDigest) || sessionValid(req));

  async function handle(req: IncomingMessage, res: ServerResponse, path: string): Promise<boolean> {
    const method = req.method ?? "GET";
    const get = method === "GET" || method === "HEAD";
    if (path === "/dashboard/app.js" || path === "/dashboard/app.css") {
      if (!get) return methodNotAllowed(res, "GET, HEAD");
      const js = path.endsWith(".js");
      res.writeHead(200, { ...SECURITY_HEADERS, "Content-Type": js ? "text/javascript; charset=utf-8" : "text/css; charset=utf-8", "Cache-Control": "max-age=300" });
      res.end(js ? APP_JS : APP_CSS);
      return true;
    }
    const dashboard = path === "/dashboard" || path.startsWith("/dashboard/site/") || path.startsWith(PLAN_PREFIX);
    if (!(dashboard || path === "/" || path === "/login" || path === "/logout")) return false;
    if (options.tokenDigest === undefined) {
      sendText(res, 404, "The dashboard needs the daemon to run with --api-token-file.\n");
      return true;
    }
    if (path === "/") {
      if (!get) return methodNotAllowed(res, "GET, HEAD");
      redirect(res, "/dashboard");
      return true;
    }
    if (path === "/login") return login(req, res);
    if (path === "/logout") {
      if (method !== "POST") return methodNotAllowed(res, "POST");
      const id = cookie(req.headers.cookie, SESSION_COOKIE);
      if (id !== undefined) sessions.delete(digest(id).toString("hex"));
      res.setHeader("Set-Cookie", sessionCookie("", 0, req));
      redirect(res, "/login");
      return true;
    }
    if (!get) return methodNotAllowed(res, "GET, HEAD");
    const fragment = req.headers["x-simulium-fragment"] === "1";
    if (!authorised(req)) {
      if (fragment) sendText(res, 401, "sign in again\n");
      else redirect(res, `/login?next=${encodeURIComponent(path)}`);
      return true;
    }
    if (path.startsWith(PLAN_PREFIX)) {
      const sha = path.slice(PLAN_PREFIX.length);
      const plan = isPlanPath(path) ? options.plan?.(sha) : undefined;
      if (plan) sendHtml(res, 200, renderPlanPage(plan));
      else sendHtml(res, 404, renderPlanNotFoundPage(safeDecode(sha) ?? sha));
      return true;
    }
    const view = await options.view();
    if (path === "/dashboard") {
      sendHtml(res, 200, fragment ? renderFleetMain(view) : renderFleetPage(view));
      return true;
    }
    const name = safeDecode(path.slice("/dashboard/site/".length));
    const site = view.sites.find((s) => s.site === name);
    if (!site) sendHtml(res, 404, renderNotFoundPage(name ?? path));
    else sendHtml(res, 200, fragment ? renderSiteMain(view, site) : renderSitePage(view, site));
    return true;
  }

  async function login(req: IncomingMessage, res: ServerResponse): Promise<boolean> {
    const query = new URLSearchParams((req.url ?? "").split("?")[1] ?? "");
    if (req.method === "GET" || req.method === "HEAD") {
      sendHtml(res, 200, renderLoginPage(null, safeNext(query.get("next"))));
      return true;
    }
    if (req.method !== "POST") return methodNotAllowed(res, "GET, HEAD, POST");
    const body = await readSmallBody(req, MAX_LOGIN_BODY);
    const form = new URLSearchParams(body ?? "");
    const next = safeNext(form.get("next"));
    const token = form.get("token") ?? "";
    if (body === undefined || options.tokenDigest === undefined || token === "" || !timingSafeEqual(digest(token), options.tokenDigest)) {
      sendHtml(res, 401, renderLoginPage("That is not the daemon's API token.", next));
      return true;
    }
    const id = randomBytes(32).toString("base64url");
    prune();
    sessions.set(digest(id).toString("hex"), now() + ttlMs);
    res.setHeader("Set-Cookie", sessionCookie(id, ttlMs / 1000, req));
    redirect(res, next);
    return true;
  }

  /** Expired sessions go; past the cap the oldest go too, so logins cannot grow memory. */
  function prune(): void {
    const t = now();
    for (const [k, exp] of sessions) if (exp <= t) sessions.delete(k);
    while (sessions.size >= MAX_SESSIONS) {
      const oldest = sessions.keys().next().value;
      if (oldest === undefined) break;
      sessions.delete(oldest);
    }
  }

  return { handle };
}

/** Only a dashboard path: the login form must not redirect anywhere else (open redirect). */
export function safeNext(next: string | null): string {
  return next !== null && (/^\/dashboard(?:\/site\/[^/?#\\]+)?$/.test(next) || isPlanPath(next)) ? next : "/dashboard";
}

function sessionCookie(value: string, maxAgeSeconds: number, req: IncomingMessage): string {
  // Secure whenever the browser reached us over TLS (directly or through a proxy that says so).
  const tls = "encrypted" in req.socket || req.headers["x-forwarded-proto"] === "https";
  return `${SESSION_COOKIE}=${value}; Path=/; HttpOnly; SameSite=Strict; Max-Age=${Math.floor(maxAgeSeconds)}${tls ? "; Secure" : ""}`;
}

export function cookie(header: string | undefined, name: string): string | undefined {
  for (const part of (header ?? "").split(";")) {
    const eq = part.indexOf("=");
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}

function digest(value: string): Buffer {
  return createHash("sha256").update(value, "utf8").digest();
}

function bearerMatches(header: string | undefined, token: Buffer): boolean {
  const m = /^Bearer +(\S+) *$/i.exec(header ?? "");
  return m?.[1] !== undefined && timingSafeEqual(digest(m[1]), token);
}

function safeDecode(s: string): string | undefined {
  try {
    return decodeURIComponent(s);
  } catch {
    return undefined;
  }
}

function sendHtml(res: ServerResponse, code: number, html: string): void {
  res.writeHead(code, { ...SECURITY_HEADERS, "Content-Type": "text/html; charset=utf-8", "Cache-Control": "no-store" });
  res.end(html);
}

function sendText(res: ServerResponse, code: number, text: string): void {
  res.writeHead(code, { ...SECURITY_HEADERS, "Content-Type": "text/plain; charset=utf-8", "Cache-Control": "no-store" });
  res.end(text);
}

function redirect(res: ServerResponse, to: string): void {
  res.writeHead(303, { ...SECURITY_HEADERS, Location: to, "Cache-Control": "no-store" });
  res.end();
}

function methodNotAllowed(res: ServerResponse, allow: string): true {
  res.setHeader("Allow", allow);
  sendText(res, 405, "method not allowed\n");
  return true;
}

function readSmallBody(req: IncomingMessage, limit: number): Promise<string | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let over = false;
    req.on("data", (c: Buffer) => {
      size += c.length;
      if (size > limit) over = true;
      else chunks.push(c);
    });
    req.on("end", () => resolve(over ? undefined : Buffer.concat(chunks).toString("utf8")));
    req.on("error", reject);
  });
}
