import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { Registry } from "prom-client";
import { cookie, safeNext, SESSION_COOKIE } from "../../../controller/daemon/dashboard-http";
import type { DashboardPlan, DashboardView } from "../../../controller/daemon/dashboard-render";
import { DaemonServer, startDaemonServer } from "../../../controller/daemon/server";

// The dashboard on the daemon's listener, over loopback: the token is exchanged for a session
// cookie once; no page, header or redirect ever carries the token.
const TOKEN = "s3cret-token-value-0123456789";
let dir = "";
let server: DaemonServer;
let now = Date.parse("2026-11-30T12:00:00Z");

const view: DashboardView = {
  instance: "prod",
  now: "2026-11-30T12:00:00.000Z",
  commit: null,
  lastRun: null,
  sites: [
    {
      site: "acme",
      state: "converged",
      lastError: null,
      domains: ["acme.test"],
      commit: null,
      lastDeployAt: null,
      backup: null,
      backupRuns: [],
      crons: [],
      history: [],
    },
  ],
};

const SHA = "0123456789abcdef0123456789abcdef01234567";
const SHA256 = "ab".repeat(32);
const plans = new Map<string, DashboardPlan>([
  [SHA, { sha: SHA, number: 42, provider: "github", ref: "feature/<b>", at: "2026-11-30T11:59:00.000Z", text: "site acme\n  + service acme_web will be created\n  <script>alert(1)</script> & done\n" }],
  [SHA256, { sha: SHA256, number: 7, provider: "branch", ref: "preview/x", at: "2026-11-30T11:58:00.000Z", text: "no changes\n" }],
]);
const asked: string[] = [];

async function call(p: string, init: RequestInit = {}): Promise<{ status: number; headers: Headers; body: string }> {
  const r = await fetch(`http://127.0.0.1:${server.address.port}${p}`, { redirect: "manual", ...init });
  return { status: r.status, headers: r.headers, body: await r.text() };
}

async function login(token: string, next = "/dashboard"): Promise<{ status: number; headers: Headers; body: string }> {
  return call("/login", { method: "POST", headers: { "Content-Type": "application/x-www-form-urlencoded" }, body: new URLSearchParams({ token, next }).toString() });
}

beforeAll(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), "simulium-dash-"));
  writeFileSync(path.join(dir, "token"), `${TOKEN}\n`);
  server = await startDaemonServer({
    listen: { host: "127.0.0.1", port: 0 },
    health: () => ({}),
    staleAfterSeconds: 60,
    status: () => ({}),
    registry: new Registry(),
    apiTokenFile: path.join(dir, "token"),
    dashboard: () => Promise.resolve(view),
    plan: (sha) => {
      asked.push(sha);
      return plans.get(sha);
    },
    now: () => now,
  });
});

afterAll(async () => {
  await server?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe("dashboard behind the API token", () => {
  it("sends a browser without a session to the login form, and a script's refresh gets a 401", async () => {
    const page = await call("/dashboard/site/acme");
    expect(page.status).toBe(303);
    expect(page.headers.get("location")).toBe("/login?next=%2Fdashboard%2Fsite%2Facme");
    const fragment = await call("/dashboard", { headers: { "X-Simulium-Fragment": "1" } });
    expect(fragment.status).toBe(401);
    expect(fragment.body).not.toContain("acme");
  });

  it("refuses a wrong token, and sets no cookie", async () => {
    const r = await login("wrong");
    expect(r.status).toBe(401);
    expect(r.headers.get("set-cookie")).toBeNull();
    expect(r.body).toContain("That is not the daemon&#39;s API token.");
  });

  it("exchanges the right token for an HttpOnly SameSite=Strict session cookie that is not the token; the session serves the pages and the fragment", async () => {
    const r = await login(TOKEN, "/dashboard/site/acme");
    expect(r.status).toBe(303);
    expect(r.headers.get("location")).toBe("/dashboard/site/acme");
    const set = r.headers.get("set-cookie") ?? "";
    expect(set).toMatch(new RegExp(`^${SESSION_COOKIE}=[A-Za-z0-9_-]{43}; Path=/; HttpOnly; SameSite=Strict; Max-Age=43200$`));
    expect(set).not.toContain(TOKEN);
    const session = `${SESSION_COOKIE}=${cookie(set.split(";")[0], SESSION_COOKIE)}`;

    const fleet = await call("/dashboard", { headers: { Cookie: session } });
    expect(fleet.status).toBe(200);
    expect(fleet.headers.get("content-security-policy")).toContain("script-src 'self'");
    expect(fleet.body).toContain(`<tr data-site="acme" data-state="converged">`);
    expect(fleet.body).not.toContain(TOKEN);
    const fragment = await call("/dashboard", { headers: { Cookie: session, "X-Simulium-Fragment": "1" } });
    expect(fragment.body.startsWith("<p class=\"overview\">")).toBe(true);
    expect(fragment.body).not.toContain("<html");
    expect((await call("/dashboard/site/acme", { headers: { Cookie: session } })).body).toContain("<h2>acme</h2>");
    expect((await call("/dashboard/site/nope", { headers: { Cookie: session } })).status).toBe(404);
    // The session is the dashboard's only: /status still wants the bearer token.
    expect((await call("/status", { headers: { Cookie: session } })).status).toBe(401);

    // Sign out: the session is gone server-side, not only in the browser.
    const out = await call("/logout", { method: "POST", headers: { Cookie: session } });
    expect(out.status).toBe(303);
    expect(out.headers.get("set-cookie")).toContain("Max-Age=0");
    expect((await call("/dashboard", { headers: { Cookie: session } })).status).toBe(303);
  });

  it("a session expires after 12 h", async () => {
    const set = (await login(TOKEN)).headers.get("set-cookie") ?? "";
    const session = set.split(";")[0] ?? "";
    expect((await call("/dashboard", { headers: { Cookie: session } })).status).toBe(200);
    now += 12 * 3600 * 1000 + 1;
    expect((await call("/dashboard", { headers: { Cookie: session } })).status).toBe(303);
  });

  it("serves the pages to the bearer token too, and the script and stylesheet to anyone", async () => {
    expect((await call("/dashboard", { headers: { Authorization: `Bearer ${TOKEN}` } })).status).toBe(200);
    const js = await call("/dashboard/app.js");
    expect(js.status).toBe(200);
    expect(js.headers.get("content-type")).toContain("javascript");
    expect(js.body).toContain("X-Simulium-Fragment");
    expect((await call("/dashboard/app.css")).status).toBe(200);
    expect((await call("/")).headers.get("location")).toBe("/dashboard");
  });

  it("never redirects after login outside the dashboard", () => {
    expect(safeNext("https://evil.example/")).toBe("/dashboard");
    expect(safeNext("//evil.example/")).toBe("/dashboard");
    expect(safeNext("/dashboard/site/acme")).toBe("/dashboard/site/acme");
    expect(safeNext("/dashboard/site/a/../../x")).toBe("/dashboard");
    expect(safeNext(null)).toBe("/dashboard");
  });
});

describe("a pull request head's plan page (/dashboard/plan/<sha>)", () => {
  const signIn = async (): Promise<string> => ((await login(TOKEN)).headers.get("set-cookie") ?? "").split(";")[0] ?? "";

  it("wants a session like every page, and the login comes back to the plan", async () => {
    const anonymous = await call(`/dashboard/plan/${SHA}`);
    expect(anonymous.status).toBe(303);
    expect(anonymous.headers.get("location")).toBe(`/login?next=%2Fdashboard%2Fplan%2F${SHA}`);
    expect(anonymous.body).not.toContain("acme_web");
    // The login form carries the path back, and after the token the browser lands on the plan.
    const form = await call(`/login?next=%2Fdashboard%2Fplan%2F${SHA}`);
    expect(form.body).toContain(`<input type="hidden" name="next" value="/dashboard/plan/${SHA}">`);
    const r = await login(TOKEN, `/dashboard/plan/${SHA}`);
    expect(r.status).toBe(303);
    expect(r.headers.get("location")).toBe(`/dashboard/plan/${SHA}`);
    const session = (r.headers.get("set-cookie") ?? "").split(";")[0] ?? "";
    expect((await call(`/dashboard/plan/${SHA}`, { headers: { Cookie: session } })).status).toBe(200);
  });

  it("shows the plan escaped in a <pre>, with its pull request and time, in the dashboard's layout", async () => {
    const session = await signIn();
    const r = await call(`/dashboard/plan/${SHA}`, { headers: { Cookie: session } });
    expect(r.status).toBe(200);
    expect(r.headers.get("content-security-policy")).toContain("default-src 'none'");
    expect(r.body).toContain(`<pre class="plan">site acme\n  + service acme_web will be created\n  &#60;script&#62;alert(1)&#60;/script&#62; &#38; done\n</pre>`);
    expect(r.body).not.toContain("<script>alert");
    expect(r.body).not.toContain("<b>");
    expect(r.body).toContain("Plan of pull request #42 (<code>feature/&#60;b&#62;</code>)");
    expect(r.body).toContain(`<code>${SHA}</code>`);
    expect(r.body).toContain(`<time datetime="2026-11-30T11:59:00.000Z">2026-11-30 11:59:00 UTC</time>`);
    expect(r.body).toContain(`<link rel="stylesheet" href="/dashboard/app.css">`);
    expect(r.body).toContain(`action="/logout"`);
    const branch = await call(`/dashboard/plan/${SHA256}`, { headers: { Authorization: `Bearer ${TOKEN}` } });
    expect(branch.status).toBe(200);
    expect(branch.body).toContain("Plan of branch <code>preview/x</code>");
  });

  it("answers 404 for a sha it holds no plan of, and for anything that is not a full lowercase sha (never asking the store)", async () => {
    const session = await signIn();
    const unknown = await call(`/dashboard/plan/${"f".repeat(40)}`, { headers: { Cookie: session } });
    expect(unknown.status).toBe(404);
    expect(unknown.body).toContain(`No plan of <code>${"f".repeat(40)}</code>`);
    asked.length = 0;
    for (const bad of [SHA.toUpperCase(), SHA.slice(0, 39), `${SHA}0`, `${SHA}/x`, "..%2F..%2Fstatus", "%3Cscript%3E", ""]) {
      const r = await call(`/dashboard/plan/${bad}`, { headers: { Cookie: session } });
      expect([bad, r.status]).toEqual([bad, 404]);
      expect(r.body).not.toContain("<script>");
    }
    expect(asked).toEqual([]);
    // Without a session the bad path leaks nothing either: the login, which will not come back to it.
    const anonymous = await call("/dashboard/plan/%3Cscript%3E");
    expect(anonymous.status).toBe(303);
    expect(safeNext("/dashboard/plan/<script>")).toBe("/dashboard");
  });

  it("the login redirect takes a plan path only with a full lowercase sha", () => {
    expect(safeNext(`/dashboard/plan/${SHA}`)).toBe(`/dashboard/plan/${SHA}`);
    expect(safeNext(`/dashboard/plan/${SHA256}`)).toBe(`/dashboard/plan/${SHA256}`);
    for (const bad of [`/dashboard/plan/${SHA.toUpperCase()}`, `/dashboard/plan/${SHA}?x=1`, `/dashboard/plan/${SHA}/`, `/dashboard/plan/${SHA}#x`, `//evil.example/dashboard/plan/${SHA}`, `/dashboard/plan/${SHA.slice(1)}`, "/dashboard/plan/", `/dashboard/plan/${SHA}\\evil`]) {
      expect([bad, safeNext(bad)]).toEqual([bad, "/dashboard"]);
    }
  });
});

describe("dashboard without --api-token-file", () => {
  it("answers 404: nothing is served unauthenticated", async () => {
    const bare = await startDaemonServer({
      listen: { host: "127.0.0.1", port: 0 },
      health: () => ({}),
      staleAfterSeconds: 60,
      status: () => ({}),
      registry: new Registry(),
      dashboard: () => Promise.resolve(view),
    });
    try {
      const r = await fetch(`http://127.0.0.1:${bare.address.port}/dashboard`, { redirect: "manual" });
      expect(r.status).toBe(404);
      expect(await r.text()).toContain("--api-token-file");
    } finally {
      await bare.close();
    }
  });
});
