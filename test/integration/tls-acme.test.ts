import Docker from "dockerode";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { request as httpsRequest } from "node:https";
import { X509Certificate } from "node:crypto";
import type { TLSSocket } from "node:tls";
import os from "node:os";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { freePort, httpGet } from "../harness/http";
import { clusterYaml, siteYaml } from "../support/manifests";
import { startPebble, Pebble, writeDnsHook } from "../support/pebble";
import { reconcileRepo } from "../support/reconcile";
import { startTestDaemon } from "../support/daemon";
import { createRepo, TestRepo } from "../support/repo";
import { removeInstance, testInstance, waitFor } from "../support/swarm";
import { readAcmeThumbprint } from "../../controller/state/tls-store";
import { probeServed } from "../../controller/tls/probe";

jest.setTimeout(600_000);

/**
 * HTTPS end to end against a real ACME CA (Pebble on loopback): the controller orders one
 * certificate per site by HTTP-01 answered by Varnish, hitch serves it with PROXY v2 to
 * Varnish, plain http redirects, a name that does not validate is set aside without costing
 * the site's others, removing a site removes its certificate secret, and a renewal forced by
 * a short validity reaches the running hitch with no https request failing and no restart.
 */
const docker = new Docker();
const instance = testInstance("tls");
const [a, b, d] = [`${instance}-a`, `${instance}-b`, `${instance}-d`];
const hostA = `www.${a}.test`;
const badA = `bad.${a}.test`;
const hostB = `www.${b}.test`;
const hostD = `www.${d}.test`;
let httpPort = 0;
let httpsPort = 0;
let stateDir = "";
let repo: TestRepo;
let pebble: Pebble;
let shortPebble: Pebble | undefined;

interface HttpsAnswer {
  readonly status: number;
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  readonly body: string;
  readonly cert: X509Certificate;
}

/** GET https://<host>/ through hitch on loopback, trusting only Pebble's root, with SNI and Host for the domain. */
function httpsGet(host: string, root: string | readonly string[], urlPath = "/"): Promise<HttpsAnswer> {
  return new Promise((resolve, reject) => {
    const req = httpsRequest({ host: "127.0.0.1", port: httpsPort, path: urlPath, servername: host, headers: { Host: host }, ca: typeof root === "string" ? root : [...root], agent: false, timeout: 5000 }, (res) => {
      const cert = new X509Certificate((res.socket as TLSSocket).getPeerCertificate().raw);
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString(), cert }));
    });
    req.on("timeout", () => req.destroy(new Error(`https ${host} timed out`)));
    req.on("error", reject);
    req.end();
  });
}

const cluster = (ca: Pebble = pebble): string =>
  clusterYaml(
    instance,
    `  varnish: {image: "simulium/varnish:local", port: ${httpPort}}
  tls:
    image: "simulium/tls:local"
    port: ${httpsPort}
    acme: {directory: "${ca.directory}", email: "ops@example.org", caFile: "${ca.listenerCaFile}", checkDns: false}
`,
  );

/** The terminator's running tasks: the same ids before and after a certificate change means no task restarted. */
async function terminatorTasks(): Promise<string[]> {
  const tasks = await docker.listTasks({ filters: { service: [`${instance}_tls`], "desired-state": ["running"] } });
  return tasks.map((t) => t.ID ?? "").sort();
}

async function certSecrets(): Promise<string[]> {
  const secrets = await docker.listSecrets({ filters: { label: [`simulium.instance=${instance}`, "simulium.role=tls-cert"] } });
  return secrets.map((s) => s.Spec?.Name ?? "").sort();
}

beforeAll(async () => {
  httpPort = await freePort();
  httpsPort = await freePort();
  pebble = await startPebble(httpPort);
  // bad.<a>.test is never made to resolve: its validation fails, alone.
  for (const h of [hostA, hostB, hostD]) await pebble.resolve(h);
  stateDir = mkdtempSync(path.join(os.tmpdir(), "simulium-state-"));
  repo = await createRepo({
    "simulium.yaml": cluster(),
    [`sites/${a}.yaml`]: siteYaml(a, { domains: [hostA, badA], volumes: false, replicas: 1, spec: ["  tls: {hsts: {maxAge: 600}}"] }),
    [`sites/${b}.yaml`]: siteYaml(b, { domains: [hostB], volumes: false, replicas: 1 }),
    [`sites/${d}.yaml`]: siteYaml(d, { domains: [hostD], volumes: false, replicas: 1 }),
  });
});

afterAll(async () => {
  await removeInstance(docker, instance);
  await shortPebble?.stop();
  await pebble?.stop();
  repo?.cleanup();
  if (stateDir) rmSync(stateDir, { recursive: true, force: true });
});

describe("HTTPS by ACME against Pebble", () => {
  it("issues a certificate per site for three sites in one apply and serves them through hitch and Varnish", async () => {
    const started = Date.now();
    const out = await reconcileRepo(docker, repo.dir, await repo.commit("three sites with TLS"), { stateDir });
    expect(out.result.ok).toBe(true);
    const bySite = Object.fromEntries(out.tls.map((t) => [t.site, t]));
    expect(bySite[a]?.issued).toEqual([hostA]);
    expect(Object.keys(bySite[a]?.failedDomains ?? {})).toEqual([badA]);
    expect(bySite[b]?.issued).toEqual([hostB]);
    expect(bySite[d]?.issued).toEqual([hostD]);
    expect(await certSecrets()).toEqual([a, b, d].map((s) => expect.stringMatching(new RegExp(`^${s}_tls-[0-9a-f]{10}$`))));

    const root = await pebble.root();
    for (const [site, host] of [[a, hostA], [b, hostB], [d, hostD]] as const) {
      const r = await waitFor(() => httpsGet(host, root).catch(() => undefined), `https://${host} through hitch`, 60_000, 500);
      expect(r.status).toBe(200);
      expect(r.body).toContain(site);
      expect(r.cert.subjectAltName).toBe(`DNS:${host}`);
    }
    console.log(`three new sites, commit to all served over https with their certificates: ${((Date.now() - started) / 1000).toFixed(1)} s`);
    // The domain that failed is not in the certificate, and its failure is remembered with a backoff.
    const record = JSON.parse(readFileSync(path.join(stateDir, instance, "tls", `${a}.json`), "utf8")) as { failing: Record<string, { nextAttemptAt: string }> };
    expect(Date.parse(record.failing[badA]?.nextAttemptAt ?? "")).toBeGreaterThan(Date.now());
  });

  it("redirects plain http to https, answers challenges on http, and sends HSTS where asked", async () => {
    const plain = await httpGet("127.0.0.1", httpPort, "/node/1?x=1", { Host: hostA });
    expect(plain.status).toBe(301);
    // The port hitch publishes (not 443): the redirect names it.
    expect(plain.headers.location).toBe(`https://${hostA}:${httpsPort}/node/1?x=1`);
    const challenge = await httpGet("127.0.0.1", httpPort, "/.well-known/acme-challenge/tok-en_1", { Host: hostA });
    expect(challenge.status).toBe(200);
    expect(challenge.body).toBe(`tok-en_1.${readAcmeThumbprint(stateDir, instance)}`);
    const root = await pebble.root();
    expect((await httpsGet(hostA, root)).headers["strict-transport-security"]).toBe("max-age=600");
    expect((await httpsGet(hostB, root)).headers["strict-transport-security"]).toBeUndefined();
  });

  it("measures the served certificate's expiry by a live handshake, and a name the terminator has no certificate for", async () => {
    const root = await pebble.root();
    const served = await probeServed("127.0.0.1", httpsPort, hostA);
    expect(served).toEqual({ domain: hostA, notAfter: new Date((await httpsGet(hostA, root)).cert.validTo) });
    expect(await probeServed("127.0.0.1", httpsPort, badA)).toEqual({ domain: badA, error: `the served certificate does not cover ${badA}` });
  });

  it("a second apply orders nothing and changes nothing", async () => {
    const out = await reconcileRepo(docker, repo.dir, await repo.commit("again"), { stateDir });
    expect(out.result.ok).toBe(true);
    expect(out.tls).toEqual([]);
    expect(out.mutations).toBe(0);
  });

  it("a daemon on an empty state directory (a controller service's fresh volume) reads the controller secrets and the certificates back from the swarm: it removes no certificate, and https keeps serving", async () => {
    const fresh = mkdtempSync(path.join(os.tmpdir(), "simulium-fresh-state-"));
    const before = await certSecrets();
    const tasks = await terminatorTasks();
    const daemon = await startTestDaemon({ repo: repo.dir, stateDir: fresh });
    try {
      await waitFor(async () => (daemon.status().lastRun ? true : undefined), "the daemon's first reconcile", 180_000, 500);
      expect(daemon.status().lastRun).toMatchObject({ ok: true, error: null });
      expect(await certSecrets()).toEqual(before);
      for (const site of [a, b, d]) {
        expect(readFileSync(path.join(fresh, instance, "tls", `${site}.pem`))).toEqual(readFileSync(path.join(stateDir, instance, "tls", `${site}.pem`)));
        // A renewal record made from the certificate: nothing is ordered before it is due.
        const record = JSON.parse(readFileSync(path.join(fresh, instance, "tls", `${site}.json`), "utf8")) as { notAfter: string; renewAt: string; domains: string[] };
        const original = JSON.parse(readFileSync(path.join(stateDir, instance, "tls", `${site}.json`), "utf8")) as { notAfter: string; domains: string[] };
        expect(record).toMatchObject({ notAfter: original.notAfter, domains: original.domains });
        expect(Date.parse(record.renewAt)).toBeGreaterThan(Date.now());
      }
      const root = await pebble.root();
      for (const host of [hostA, hostB, hostD]) expect((await httpsGet(host, root)).status).toBe(200);
      expect(await terminatorTasks()).toEqual(tasks);
    } finally {
      await daemon.stop();
      rmSync(fresh, { recursive: true, force: true });
    }
  });

  it("removing a site removes its certificate secret and its certificate from the running terminator, and keeps serving the others", async () => {
    const tasks = await terminatorTasks();
    repo.remove(`sites/${b}.yaml`);
    const out = await reconcileRepo(docker, repo.dir, await repo.commit(`remove ${b}`), { stateDir });
    expect(out.result.ok).toBe(true);
    // Nothing mounts a certificate secret: it goes in the same apply.
    expect((await certSecrets()).map((n) => n.replace(/[0-9a-f]{10}$/, ""))).toEqual([`${a}_tls-`, `${d}_tls-`]);
    expect(await probeServed("127.0.0.1", httpsPort, hostB)).toEqual({ domain: hostB, error: `the served certificate does not cover ${hostB}` });
    const root = await pebble.root();
    for (const host of [hostA, hostD]) expect((await httpsGet(host, root)).status).toBe(200);
    expect(await terminatorTasks()).toEqual(tasks);
  });

  it("a wildcard certificate by DNS-01 through the operator's hook is served through hitch for each domain under it", async () => {
    const c = `${instance}-c`;
    const [www, shop] = [`www.${c}.test`, `shop.${c}.test`];
    const hookLog = path.join(stateDir, "dns-hook.log");
    const hook = { command: writeDnsHook(pebble, path.join(stateDir, "dns-hook.sh"), { log: hookLog }), propagationSeconds: 0, timeoutSeconds: 30 };
    // Neither name resolves in Pebble's DNS: only the TXT records the hook sets prove them.
    repo.write(`sites/${c}.yaml`, siteYaml(c, { domains: [www, shop], volumes: false, replicas: 1, spec: [`  tls: {wildcards: ["*.${c}.test"]}`] }));
    const out = await reconcileRepo(docker, repo.dir, await repo.commit(`add ${c} with a wildcard`), { stateDir, acme: { dnsHook: hook } });
    expect(out.result.ok).toBe(true);
    expect(out.tls).toEqual([{ site: c, issued: [`*.${c}.test`], failedDomains: {} }]);
    expect(readFileSync(hookLog, "utf8")).toMatch(new RegExp(`^cleanup ${c}\\.test `, "m"));
    const root = await pebble.root();
    for (const host of [www, shop]) {
      const r = await waitFor(() => httpsGet(host, root).catch(() => undefined), `https://${host} with the wildcard`, 60_000, 500);
      expect(r.status).toBe(200);
      expect(r.body).toContain(c);
      expect(r.cert.subjectAltName).toBe(`DNS:*.${c}.test`);
      expect(await probeServed("127.0.0.1", httpsPort, host)).toEqual({ domain: host, notAfter: new Date(r.cert.validTo) });
    }
    // The other site keeps its own certificate.
    expect((await httpsGet(hostA, root)).cert.subjectAltName).toBe(`DNS:${hostA}`);
  });

  it("renews a certificate due by its short validity and rolls it out to the running hitch with no https request failing", async () => {
    // A second Pebble whose certificates last 60 s: a new site's is due about 40 s after issuance.
    shortPebble = await startPebble(httpPort, {}, { validitySeconds: 60 });
    const e = `${instance}-e`;
    const hostE = `www.${e}.test`;
    await shortPebble.resolve(hostE);
    repo.write("simulium.yaml", cluster(shortPebble));
    repo.write(`sites/${e}.yaml`, siteYaml(e, { domains: [hostE], volumes: false, replicas: 1 }));
    const out = await reconcileRepo(docker, repo.dir, await repo.commit(`add ${e} from a CA of short-lived certificates`), { stateDir });
    expect(out.result.ok).toBe(true);
    // Only e is ordered (a's failing name may come due meanwhile: it is not e's business).
    expect(out.tls.find((t) => t.site === e)).toEqual({ site: e, issued: [hostE], failedDomains: {} });
    const root = await shortPebble.root();
    const first = await waitFor(() => httpsGet(hostE, root).catch(() => undefined), `https://${hostE}`, 60_000, 250);
    const tasks = await terminatorTasks();
    const record = JSON.parse(readFileSync(path.join(stateDir, instance, "tls", `${e}.json`), "utf8")) as { renewAt: string };

    // A bounded request loop over the renewal: one https request (a new connection each) every 50 ms.
    const failed: string[] = [];
    const serials = new Set<string>([first.cert.serialNumber]);
    let served = 0;
    let stop = false;
    const loop = (async () => {
      while (!stop) {
        try {
          const r = await httpsGet(hostE, root);
          if (r.status === 200) served++;
          else failed.push(`status ${r.status}`);
          serials.add(r.cert.serialNumber);
        } catch (err) {
          failed.push(err instanceof Error ? err.message : String(err));
        }
        await sleep(50);
      }
    })();
    try {
      await sleep(Math.max(0, Date.parse(record.renewAt) - Date.now()) + 100);
      const due = Date.now();
      const renewed = await reconcileRepo(docker, repo.dir, await repo.commit("the renewal is due"), { stateDir });
      expect(renewed.result.ok).toBe(true);
      expect(renewed.tls.find((t) => t.site === e)).toEqual({ site: e, issued: [hostE], failedDomains: {} });
      await waitFor(async () => (serials.size > 1 ? true : undefined), "the renewed certificate to be served", 30_000, 100);
      console.log(`renewal due to the new certificate served: ${((Date.now() - due) / 1000).toFixed(1)} s`);
      await sleep(1000);
    } finally {
      stop = true;
      await loop;
    }
    console.log(`https requests during the renewal: ${served} answered, ${failed.length} failed`);
    expect(failed).toEqual([]);
    expect(serials.size).toBe(2);
    expect(served).toBeGreaterThan(100);
    // The certificate reached the tasks that ran: none was restarted.
    expect(await terminatorTasks()).toEqual(tasks);
    // The other sites are served on.
    expect((await httpsGet(hostD, [await pebble.root(), root])).cert.subjectAltName).toBe(`DNS:${hostD}`);
  });
});
