import { spawn } from "node:child_process";
import type { ChildProcess } from "node:child_process";
import { chmod, mkdtemp, rm, writeFile } from "node:fs/promises";
import { createServer, request } from "node:http";
import type { IncomingHttpHeaders, Server } from "node:http";
import { createServer as createTcpServer } from "node:net";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { connectVarnishAdmin, VarnishAuthError, VarnishConnectionError, VclCompileError } from "../../controller/varnish/admin";
import type { VarnishAdmin } from "../../controller/varnish/admin";
import { loadVcl } from "../../controller/varnish/load";
import { renderVcl } from "../../controller/varnish/vcl";
import type { VclInput, VclSite } from "../../controller/varnish/vcl";

// A real varnishd on loopback with its own work directory and secret, and a tiny HTTP backend.
const VARNISHD = process.env.VARNISHD ?? "/usr/sbin/varnishd";
const SECRET = "simulium-test-secret-4f9d2c\n";

let dir = "";
let varnishd: ChildProcess | undefined;
let varnishLog = "";
let httpPort = 0;
let adminPort = 0;
let backend: Server | undefined;
let backendPort = 0;
const seen: { host: string | undefined; url: string | undefined; cookie: string | undefined }[] = [];
const sessions: VarnishAdmin[] = [];

async function freePort(): Promise<number> {
  const srv = createTcpServer();
  await new Promise<void>((res) => srv.listen(0, "127.0.0.1", res));
  const { port } = srv.address() as AddressInfo;
  await new Promise<void>((res) => srv.close(() => res()));
  return port;
}

async function admin(secret: string = SECRET): Promise<VarnishAdmin> {
  const a = await connectVarnishAdmin({ host: "127.0.0.1", port: adminPort, secret: Buffer.from(secret) });
  sessions.push(a);
  return a;
}

function get(host: string, path = "/", headers: Record<string, string> = {}, method = "GET"): Promise<{ status: number; body: string; headers: IncomingHttpHeaders }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: "127.0.0.1", port: httpPort, path, method, agent: false, headers: { Host: host, ...headers } }, (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (c: string) => (body += c));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body, headers: res.headers }));
    });
    req.on("error", reject);
    req.end();
  });
}

const hc = { path: "/health", interval: 1, timeout: 1 };
// This test's HTTP client (127.0.0.1) stands for acme's own task: the only one acme lets purge.
const acme = (port = backendPort): VclSite => ({ name: "acme", domains: ["acme.test", "www.acme.test"], backends: [{ host: "127.0.0.1", port }], healthcheck: hc, purgers: ["127.0.0.1"] });
// Another site on the same backend, whose tasks are elsewhere: the client is not one of them.
const beta = (): VclSite => ({ name: "beta", domains: ["beta.test"], backends: [{ host: "127.0.0.1", port: backendPort }], healthcheck: hc, purgers: ["10.9.9.9"] });
const vclFor = (sites: VclSite[], extra: Partial<VclInput> = {}): string => renderVcl({ sites, mode: "dnsrr", ...extra });

async function activeName(a: VarnishAdmin): Promise<string | undefined> {
  return (await a.vclList()).find((v) => v.status === "active")?.name;
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "simulium-varnish-"));
  await chmod(dir, 0o755);
  backend = createServer((req, res) => {
    seen.push({ host: req.headers.host, url: req.url, cookie: req.headers.cookie });
    res.setHeader("Content-Type", "text/plain");
    res.setHeader("Cache-Control", "public, max-age=60");
    if (req.url === "/tagged") res.setHeader("Cache-Tags", "node:1 node_list");
    if (req.url === "/dotted") res.setHeader("Cache-Tags", "config:systemXsite");
    res.end(`hello from acme ${req.url ?? ""}`);
  });
  await new Promise<void>((res) => backend?.listen(0, "127.0.0.1", res));
  backendPort = (backend.address() as AddressInfo).port;

  [httpPort, adminPort] = [await freePort(), await freePort()];
  await writeFile(join(dir, "secret"), SECRET, { mode: 0o600 });
  await writeFile(join(dir, "boot.vcl"), vclFor([]));
  varnishd = spawn(
    VARNISHD,
    ["-F", "-a", `127.0.0.1:${httpPort}`, "-T", `127.0.0.1:${adminPort}`, "-S", join(dir, "secret"), "-n", join(dir, "work"), "-f", join(dir, "boot.vcl"), "-s", "malloc,32m"],
    { stdio: ["ignore", "pipe", "pipe"] },
  );
  varnishd.stdout?.on("data", (c: Buffer) => (varnishLog += c.toString()));
  varnishd.stderr?.on("data", (c: Buffer) => (varnishLog += c.toString()));
  const deadline = Date.now() + 30_000;
  for (;;) {
    try {
      const a = await admin();
      await a.ping();
      // The HTTP side answers once the child is up.
      if ((await get("nothing.test")).status === 404) break;
    } catch (e) {
      if (Date.now() > deadline) throw new Error(`varnishd did not start: ${String(e)}\n${varnishLog}`);
      await new Promise((r) => setTimeout(r, 200));
    }
  }
}, 60_000);

afterAll(async () => {
  for (const s of sessions) s.close();
  if (varnishd?.pid !== undefined && varnishd.exitCode === null) {
    const exited = new Promise((res) => varnishd?.once("exit", res));
    varnishd.kill("SIGTERM");
    await Promise.race([exited, new Promise((r) => setTimeout(r, 10_000).unref())]);
    if (varnishd.exitCode === null) varnishd.kill("SIGKILL");
  }
  await new Promise<void>((res) => (backend === undefined ? res() : backend.close(() => res())));
  if (dir !== "") await rm(dir, { recursive: true, force: true });
});

describe("Varnish admin client against a real varnishd", () => {
  it("authenticates with the secret file content and answers ping", async () => {
    const a = await admin();
    await expect(a.ping()).resolves.toBeUndefined();
    expect((await a.vclList()).map((v) => v.name)).toContain("boot");
  });

  it("rejects a wrong secret with a clear error that does not contain either secret", async () => {
    const wrong = "not-the-secret-91ab\n";
    const err = await admin(wrong).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(VarnishAuthError);
    const msg = (err as Error).message;
    expect(msg).toMatch(/rejected the secret/);
    expect(msg).toContain(`127.0.0.1:${adminPort}`);
    expect(msg).not.toContain(wrong.trim());
    expect(msg).not.toContain(SECRET.trim());
  });

  it("says so when no secret is given to a varnishd that requires one", async () => {
    const err = await connectVarnishAdmin({ host: "127.0.0.1", port: adminPort }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(VarnishAuthError);
    expect((err as Error).message).toMatch(/requires authentication/);
  });

  it("reports a closed port as a connection error", async () => {
    const port = await freePort();
    const err = await connectVarnishAdmin({ host: "127.0.0.1", port, secret: SECRET }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(VarnishConnectionError);
    expect((err as VarnishConnectionError).problem).toBe("refused");
  });

  it("gives up with a timeout error when the peer never answers (not a Varnish, or a hung one)", async () => {
    const silent = createTcpServer((sock) => sock.on("error", () => undefined));
    await new Promise<void>((res) => silent.listen(0, "127.0.0.1", res));
    try {
      const { port } = silent.address() as AddressInfo;
      const err = await connectVarnishAdmin({ host: "127.0.0.1", port, secret: SECRET, commandTimeoutMs: 300 }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(VarnishConnectionError);
      expect((err as VarnishConnectionError).problem).toBe("timeout");
    } finally {
      await new Promise<void>((res) => silent.close(() => res()));
    }
  });

  it("loads a VCL that routes by Host to the backend, and 404s unknown hosts", async () => {
    const a = await admin();
    const result = await loadVcl(a, vclFor([acme()]));
    expect(result.changed).toBe(true);
    expect(result.name).toMatch(/^s_[0-9a-f]{12}$/);
    expect(await activeName(a)).toBe(result.name);

    const ok = await get("WWW.Acme.test:8080", "/page");
    expect(ok.status).toBe(200);
    expect(ok.body).toBe("hello from acme /page");
    expect(seen.at(-1)?.host).toBe("www.acme.test");

    const unknown = await get("other.test", "/page");
    expect(unknown.status).toBe(404);
    expect(unknown.body).toContain("No site is configured for this host");

    const backends = await a.backendList();
    expect(backends).toEqual(expect.arrayContaining([expect.objectContaining({ vcl: result.name, name: "b_acme_0", health: "healthy" })]));
  });

  it("caches anonymous pages, passes session cookies and accepts PURGE from the ACL", async () => {
    const a = await admin();
    await loadVcl(a, vclFor([acme()]));
    const first = await get("acme.test", "/cached", { Cookie: "_ga=1" });
    const second = await get("acme.test", "/cached", { Cookie: "_ga=2" });
    expect([first.headers["x-cache"], second.headers["x-cache"]]).toEqual(["MISS", "HIT"]);
    expect(seen.filter((s) => s.url === "/cached").map((s) => s.cookie)).toEqual([undefined]);

    const before = seen.length;
    await get("acme.test", "/cached", { Cookie: "SESSabc=123" });
    expect(seen.length).toBe(before + 1);
    expect(seen.at(-1)?.cookie).toBe("SESSabc=123");

    expect((await get("acme.test", "/cached", {}, "PURGE")).status).toBe(200);
    expect((await get("acme.test", "/cached")).headers["x-cache"]).toBe("MISS");

    await loadVcl(a, vclFor([{ ...acme(), purgers: ["10.0.0.9"] }]));
    expect((await get("acme.test", "/cached", {}, "PURGE")).status).toBe(405);
  });

  it("shares static assets with logged-in visitors, without their cookies", async () => {
    const a = await admin();
    await loadVcl(a, vclFor([acme()]));
    const first = await get("acme.test", "/core/misc/drupal.js?v=1", { Cookie: "SESSabc=123" });
    const second = await get("acme.test", "/core/misc/drupal.js?v=1", { Cookie: "SESSdef=456" });
    expect([first.headers["x-cache"], second.headers["x-cache"]]).toEqual(["MISS", "HIT"]);
    expect(seen.filter((s) => s.url === "/core/misc/drupal.js?v=1").map((s) => s.cookie)).toEqual([undefined]);
  });

  it("BANs by Drupal cache tag for the requesting site only", async () => {
    const a = await admin();
    await loadVcl(a, vclFor([acme()]));
    await get("acme.test", "/tagged");
    await get("acme.test", "/other");
    expect((await get("acme.test", "/tagged")).headers["x-cache"]).toBe("HIT");
    expect((await get("acme.test", "/", { "Cache-Tags": "node_list" }, "BAN")).status).toBe(200);
    expect((await get("acme.test", "/tagged")).headers["x-cache"]).toBe("MISS");
    expect((await get("acme.test", "/other")).headers["x-cache"]).toBe("HIT");
    // The tag must match whole: "node" is not "node_list" or "node:1".
    expect((await get("acme.test", "/", { "Cache-Tags": "node" }, "BAN")).status).toBe(200);
    expect((await get("acme.test", "/tagged")).headers["x-cache"]).toBe("HIT");
  });

  it("refuses PURGE and BAN of another site's objects from a client that is not one of its tasks", async () => {
    const a = await admin();
    await loadVcl(a, vclFor([acme(), beta()]));
    await get("beta.test", "/b");
    expect((await get("beta.test", "/b")).headers["x-cache"]).toBe("HIT");
    expect((await get("beta.test", "/b", {}, "PURGE")).status).toBe(405);
    expect((await get("beta.test", "/b", {}, "BAN")).status).toBe(405);
    expect((await get("beta.test", "/", { "Cache-Tags": "node_list" }, "BAN")).status).toBe(405);
    expect((await get("beta.test", "/b")).headers["x-cache"]).toBe("HIT");
    // The same client purges its own site's objects.
    await get("acme.test", "/own");
    expect((await get("acme.test", "/own", {}, "PURGE")).status).toBe(200);
    expect((await get("acme.test", "/own")).headers["x-cache"]).toBe("MISS");
    expect((await get("beta.test", "/b")).headers["x-cache"]).toBe("HIT");
  });

  it("never evaluates the caller's URL or tags as a regular expression", async () => {
    const a = await admin();
    await loadVcl(a, vclFor([acme()]));
    for (const path of ["/page-1", "/page-2", "/dotted"]) await get("acme.test", path);
    const cached = async (path: string) => (await get("acme.test", path)).headers["x-cache"];
    expect(await cached("/page-1")).toBe("HIT");
    // A URL ban matches that one URL: "/page-.*" is a URL no object has.
    expect((await get("acme.test", "/page-.*", {}, "BAN")).status).toBe(200);
    expect([await cached("/page-1"), await cached("/page-2")]).toEqual(["HIT", "HIT"]);
    expect((await get("acme.test", "/page-1", {}, "BAN")).status).toBe(200);
    expect([await cached("/page-1"), await cached("/page-2")]).toEqual(["MISS", "HIT"]);
    // A tag with regex syntax is refused, and a dot in a tag is a dot.
    expect((await get("acme.test", "/", { "Cache-Tags": "node_list|.*" }, "BAN")).status).toBe(400);
    expect((await get("acme.test", "/", { "Cache-Tags": "config:system.site" }, "BAN")).status).toBe(200);
    expect([await cached("/page-2"), await cached("/dotted")]).toEqual(["HIT", "HIT"]);
  });

  it("answers 503 without internals for a site with no backend or only dead ones", async () => {
    const a = await admin();
    const dead = await freePort();
    const idle: VclSite = { name: "idle", domains: ["idle.test"], backends: [], healthcheck: hc };
    await loadVcl(a, vclFor([acme(dead), idle]));
    for (const host of ["idle.test", "acme.test"]) {
      const r = await get(host, "/nothing-cached-here");
      expect(r.status).toBe(503);
      expect(r.body).toContain("temporarily unavailable");
      expect(r.body).not.toMatch(/Guru|XID|b_acme|127\.0\.0\.1/);
    }
  });

  it("loading the same VCL twice is a no-op", async () => {
    const a = await admin();
    const vcl = vclFor([acme()]);
    const first = await loadVcl(a, vcl);
    const before = await a.vclList();
    const again = await loadVcl(a, vcl);
    expect(again).toEqual({ changed: false, name: first.name, discarded: [], notDiscarded: [] });
    expect(await a.vclList()).toEqual(before);
  });

  it("keeps the running VCL when a new one does not compile, and reports Varnish's message with the line", async () => {
    const a = await admin();
    const good = await loadVcl(a, vclFor([acme()]));
    const broken = vclFor([acme()], { snippets: { recv: "set req.http.X-Bad = no_such_function();" } });
    const err = await loadVcl(a, broken).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(VclCompileError);
    const compileError = err as VclCompileError;
    const badLine = broken.split("\n").findIndex((l) => l.includes("no_such_function")) + 1;
    expect(compileError.line).toBe(badLine);
    expect(compileError.message).toContain(`line ${badLine}`);
    expect(compileError.detail).toMatch(/no_such_function/);
    expect(await activeName(a)).toBe(good.name);
    expect((await get("acme.test", "/still-serving")).body).toBe("hello from acme /still-serving");
    // The session is still usable after an error answer.
    await expect(a.ping()).resolves.toBeUndefined();
  });

  it("discards older simulium configurations beyond the last N, never the active one nor boot", async () => {
    const a = await admin();
    const names: string[] = [];
    for (let i = 0; i < 4; i++) {
      const r = await loadVcl(a, vclFor([{ ...acme(), routing: { ttl: 100 + i } }]), { keep: 2 });
      names.push(r.name);
    }
    const loaded = (await a.vclList()).filter((v) => v.status !== "discarded").map((v) => v.name);
    const ours = loaded.filter((n) => n.startsWith("s_"));
    expect(ours).toEqual(names.slice(-2));
    expect(await activeName(a)).toBe(names[3]);
    expect(loaded).toContain("boot");
    expect((await get("acme.test", "/after-prune")).status).toBe(200);
  });

  it("switches back to a still-loaded configuration without compiling it again", async () => {
    const a = await admin();
    const one = await loadVcl(a, vclFor([acme()], { snippets: { deliver: 'set resp.http.X-Variant = "one";' } }), { keep: 3 });
    await loadVcl(a, vclFor([acme()], { snippets: { deliver: 'set resp.http.X-Variant = "two";' } }), { keep: 3 });
    const back = await loadVcl(a, vclFor([acme()], { snippets: { deliver: 'set resp.http.X-Variant = "one";' } }), { keep: 3 });
    expect(back.changed).toBe(true);
    expect(back.name).toBe(one.name);
    expect((await get("acme.test", "/variant")).headers["x-variant"]).toBe("one");
  });
});
