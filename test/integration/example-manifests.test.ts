import Docker from "dockerode";
import { execFileSync } from "node:child_process";
import { X509Certificate } from "node:crypto";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { request as httpsRequest } from "node:https";
import os from "node:os";
import path from "node:path";
import type { TLSSocket } from "node:tls";
import { loadRepo } from "../../controller/manifests/load";
import { cli } from "../support/cli";
import { createRepo, TestRepo } from "../support/repo";
import { removeInstance, testInstance, waitFor } from "../support/swarm";
import { freePort, httpGet, type HttpResponse } from "../harness";

// sites.example is what `npm run demo` applies: on the harness's images every example site must
// answer over https through hitch and Varnish, with a certificate from the demo's CA (Pebble, as
// harness/demo-pebble.sh starts it for the demo), plain http must redirect, and every example
// cron must succeed. Each site is renamed into this test's namespace; the ports and the Pebble
// (its directory and caFile) are this test's, everything else (health paths, crons, databases,
// domains, TLS settings) is the example's.
const docker = new Docker();
const instance = testInstance("ex");
const example = path.join(__dirname, "../../sites.example");
const exampleSites = readdirSync(path.join(example, "sites")).filter((f) => f.endsWith(".yaml")).map((f) => f.replace(/\.yaml$/, "")).sort();
const renamed = (name: string) => `${instance}-${name}`;
let port = 0;
let httpsPort = 0;
let stateDir = "";
let pebbleDir = "";
let pebblePorts: number[] = [];
let repo: TestRepo;
const demoPebble = path.join(__dirname, "../../harness/demo-pebble.sh");

function get(host: string): Promise<HttpResponse> {
  return httpGet("127.0.0.1", port, "/", { Host: host }, 10_000);
}

/** GET https://<host>/ through hitch on loopback (SNI and Host for the domain), trusting only the demo CA's roots. */
function getHttps(host: string): Promise<{ status: number; body: string; cert: X509Certificate }> {
  const ca = readFileSync(path.join(pebbleDir, "pebble-root.pem"));
  return new Promise((resolve, reject) => {
    const req = httpsRequest({ host: "127.0.0.1", port: httpsPort, path: "/", servername: host, headers: { Host: host }, ca, agent: false, timeout: 10_000 }, (res) => {
      const cert = new X509Certificate((res.socket as TLSSocket).getPeerCertificate().raw);
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString(), cert }));
    });
    req.on("timeout", () => req.destroy(new Error(`https ${host} timed out`)));
    req.on("error", reject);
    req.end();
  });
}

/** harness/demo-pebble.sh, as the demo runs it, in this test's directory and on its ports. */
function startDemoPebble(): void {
  execFileSync("bash", [demoPebble, String(port)], {
    env: { ...process.env, SIMULIUM_DEMO_PEBBLE_DIR: pebbleDir, SIMULIUM_DEMO_PEBBLE_PORTS: pebblePorts.join(",") },
    stdio: ["ignore", "ignore", "pipe"],
  });
}

const pid = (name: string): number => Number(readFileSync(path.join(pebbleDir, `${name}.pid`), "utf8"));

function exampleFile(file: string): string {
  return readFileSync(path.join(example, file), "utf8");
}

async function exampleLoaded() {
  const load = await loadRepo(repo.dir);
  expect(load.errors).toEqual([]);
  return load.sites;
}

beforeAll(async () => {
  port = await freePort();
  httpsPort = await freePort();
  pebblePorts = [await freePort(), await freePort(), await freePort(), await freePort()];
  stateDir = mkdtempSync(path.join(os.tmpdir(), "simulium-state-"));
  pebbleDir = mkdtempSync(path.join(os.tmpdir(), "simulium-demo-pebble-"));
  startDemoPebble();
  const cluster = exampleFile("simulium.yaml")
    .replace(/^  instance: demo$/m, `  instance: ${instance}`)
    .replace(/^    port: 8080$/m, `    port: ${port}`)
    .replace(/^    port: 8443$/m, `    port: ${httpsPort}`)
    .replace("directory: https://127.0.0.1:14000/dir", `directory: https://127.0.0.1:${pebblePorts[0]}/dir`)
    .replace("caFile: /var/lib/simulium-harness/demo/pebble-listener.pem", `caFile: ${pebbleDir}/pebble-listener.pem`);
  for (const v of [`instance: ${instance}`, `port: ${port}`, `port: ${httpsPort}`, `127.0.0.1:${pebblePorts[0]}/dir`, `caFile: ${pebbleDir}/`]) expect(cluster).toContain(v);
  const files: Record<string, string> = { "simulium.yaml": cluster };
  for (const name of exampleSites) {
    const text = exampleFile(`sites/${name}.yaml`).replace(/^  name: (\S+)$/m, (_, n: string) => `  name: ${renamed(n)}`);
    // Domains are per instance (its own Varnish): the example's stay, a demo beside this test keeps its own.
    files[`sites/${renamed(name)}.yaml`] = text;
  }
  repo = await createRepo(files);
  await repo.commit("the example manifests");
});

afterAll(async () => {
  await removeInstance(docker, instance);
  for (const p of ["pebble", "challtestsrv"]) {
    if (pebbleDir && existsSync(path.join(pebbleDir, `${p}.pid`))) {
      try {
        process.kill(pid(p));
      } catch {
        // already gone
      }
    }
  }
  if (pebbleDir) rmSync(pebbleDir, { recursive: true, force: true });
  repo?.cleanup();
  if (stateDir) rmSync(stateDir, { recursive: true, force: true });
});

test("every example site answers 200 over https with the demo CA's certificate on every domain, http redirects, and status agrees", async () => {
  expect(exampleSites.length).toBeGreaterThanOrEqual(2);
  const applied = await cli("apply", "--repo", repo.dir, "--state-dir", stateDir, "--yes");
  expect(applied.code).toBe(0);
  const sites = await exampleLoaded();
  // Environments (spec.environments) are sites of their own: they answer on their domains too.
  expect(sites.filter((s) => !s.environment).map((s) => s.name)).toEqual(exampleSites.map(renamed));
  expect(sites.filter((s) => s.environment).map((s) => s.name)).toEqual([`${renamed("brasserie")}--staging`]);
  for (const site of sites) {
    for (const domain of site.domains) {
      const page = await waitFor(async () => {
        const r = await getHttps(domain).catch(() => undefined);
        return r?.status === 200 ? r : undefined;
      }, `https://${domain} to answer 200 through hitch and Varnish`, 120_000, 1000);
      expect(page.body).toContain(`site: ${site.name}`);
      // One certificate per site, for all its domains.
      expect(page.cert.subjectAltName?.split(", ").sort()).toEqual(site.domains.map((d) => `DNS:${d}`).sort());
      const plain = await get(domain);
      // To the port hitch publishes: a redirect naming no port would send the visitor to 443, where nothing listens.
      expect([domain, plain.status, plain.headers.location]).toEqual([domain, 301, `https://${domain}:${httpsPort}/`]);
    }
  }
  // A fresh VCL starts every backend healthy (.initial = threshold); a failing health path turns
  // it sick after three probes (10 s apart in the examples). Keep asking past that.
  const until = Date.now() + 35_000;
  while (Date.now() < until) {
    for (const site of sites) expect([site.name, (await getHttps(site.domains[0]!)).status]).toEqual([site.name, 200]);
    await new Promise((r) => setTimeout(r, 2000));
  }
  const status = await cli("status", "--repo", repo.dir, "--state-dir", stateDir, "--json");
  const reported = (JSON.parse(status.out) as { sites: { site: string; state: string; routing?: { healthy: number; sick: number }; tls?: { state: string; failing: string[] } }[] }).sites;
  expect(reported.map((s) => [s.site, s.state, s.routing?.sick, s.tls?.state, s.tls?.failing])).toEqual(sites.map((s) => [s.name, "converged", 0, "valid", []]));
  expect(status.code).toBe(0);
});

test("the demo's CA is kept as it runs when the demo runs again, so the certificates it issued stay trusted", async () => {
  const before = { pebble: pid("pebble"), challtestsrv: pid("challtestsrv"), root: readFileSync(path.join(pebbleDir, "pebble-root.pem"), "utf8") };
  startDemoPebble();
  expect({ pebble: pid("pebble"), challtestsrv: pid("challtestsrv"), root: readFileSync(path.join(pebbleDir, "pebble-root.pem"), "utf8") }).toEqual(before);
  const site = (await exampleLoaded())[0]!;
  expect((await getHttps(site.domains[0]!)).status).toBe(200);
});

test("every example cron succeeds on the harness's web image", async () => {
  const crons = (await exampleLoaded()).flatMap((site) => site.cron.map((c) => ({ site: site.name, name: c.name })));
  // The examples schedule Drupal's cron everywhere and CiviCRM's jobs on solidarity.
  expect(crons.map((c) => c.name)).toEqual(expect.arrayContaining(["drupal", "civicrm"]));
  for (const c of crons) {
    const r = await cli("cron", "run", c.site, c.name, "--repo", repo.dir);
    expect({ cron: `${c.site} ${c.name}`, code: r.code }).toEqual({ cron: `${c.site} ${c.name}`, code: 0 });
    expect(r.out).toMatch(c.name === "civicrm" ? /"is_error": 0/ : /Cron run completed/);
  }
});
