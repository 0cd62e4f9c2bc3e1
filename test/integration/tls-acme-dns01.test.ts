import { X509Certificate } from "node:crypto";
import { Resolver } from "node:dns/promises";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import pino from "pino";
import { Writable } from "node:stream";
import { freePort } from "../harness/http";
import { startPebble, Pebble, writeDnsHook } from "../support/pebble";
import { resolveCluster, resolveSite } from "../../controller/manifests/resolve";
import type { ResolvedCluster, ResolvedSite } from "../../controller/manifests/types";
import { StateStore } from "../../controller/state/store";
import { readCertPem, readCertRecord } from "../../controller/state/tls-store";
import type { DnsHook } from "../../controller/tls/dns01";
import { AcmeControllerOptions, renewCertificates } from "../../controller/tls/renew";

jest.setTimeout(120_000);

/**
 * DNS-01 and external account binding against a real ACME CA, without Docker: Pebble and its
 * challenge test server run as local processes on loopback, Pebble looks TXT records up in the
 * test server's DNS, and the DNS hook is a real executable (a shell script calling the test
 * server's API, as an operator's would call their DNS provider's). The controller's ordering
 * code (tls/renew.ts, tls/acme.ts) runs as in a reconcile, with a real state directory.
 */
let work = "";
let pebble: Pebble;
let hookLog = "";
const HOOK_FAILS_FOR = "broken.dns01.test";

function writeHook(p: Pebble): string {
  return writeDnsHook(p, path.join(work, "dns-hook.sh"), { log: hookLog, failFor: HOOK_FAILS_FOR });
}

function clusterFor(p: Pebble): ResolvedCluster {
  return resolveCluster({
    apiVersion: "simulium/v1",
    kind: "Cluster",
    spec: { instance: "dns01", varnish: { image: "v" }, tls: { image: "h", acme: { directory: p.directory, email: "ops@example.org", caFile: p.listenerCaFile, checkDns: true } } },
  });
}

function site(name: string, domains: string[], tls: Record<string, unknown>): ResolvedSite {
  const r = resolveSite({ apiVersion: "simulium/v1", kind: "Site", metadata: { name }, spec: { domains, web: { image: "w" }, tls } }, `sites/${name}.yaml`, {}, true);
  if (!r.ok) throw new Error(JSON.stringify(r.issues));
  return r.site;
}

/** Everything logged, to check that no secret is in it. */
function capturedLog(): { log: pino.Logger; text: () => string } {
  const lines: string[] = [];
  const sink = new Writable({ write: (chunk: Buffer, _enc, done) => (lines.push(chunk.toString()), done()) });
  return { log: pino({ level: "debug" }, sink), text: () => lines.join("") };
}

async function txtRecords(name: string): Promise<string[][]> {
  const resolver = new Resolver();
  resolver.setServers([pebble.dnsServer]);
  return resolver.resolveTxt(name).catch(() => []);
}

beforeAll(async () => {
  work = mkdtempSync(path.join(os.tmpdir(), "simulium-dns01-"));
  hookLog = path.join(work, "hook.log");
  // Nothing answers http here: a name validated by HTTP-01 would fail.
  pebble = await startPebble(await freePort());
});

afterAll(async () => {
  await pebble?.stop();
  if (work) rmSync(work, { recursive: true, force: true });
});

describe("DNS-01 through the operator's hook, against Pebble", () => {
  it("issues a wildcard and its apex through the hook, waits for propagation, and removes the records", async () => {
    const hook: DnsHook = { command: writeHook(pebble), propagationSeconds: 1, timeoutSeconds: 30 };
    const stateDir = mkdtempSync(path.join(work, "state-"));
    const store = new StateStore(stateDir, "dns01", "read-write");
    // The names resolve nowhere (checkDns is on): DNS-01 names are not looked up, nothing is set aside.
    const s = site("wild", ["dns01.test", "www.dns01.test", "shop.dns01.test"], { challenge: "dns-01", wildcards: ["*.dns01.test"] });
    const started = Date.now();
    const out = await renewCertificates({ cluster: clusterFor(pebble), sites: [s], store, log: pino({ level: "silent" }), controller: { dnsHook: hook } });
    expect(out).toEqual([{ site: "wild", issued: ["*.dns01.test", "dns01.test"], failedDomains: {} }]);
    expect(Date.now() - started).toBeGreaterThanOrEqual(1000);

    const cert = new X509Certificate(readCertPem(store, "wild") ?? "");
    expect(cert.subjectAltName?.split(", ").sort()).toEqual(["DNS:*.dns01.test", "DNS:dns01.test"]);
    expect(cert.checkHost("shop.dns01.test")).toBe("*.dns01.test");
    expect(cert.checkHost("a.shop.dns01.test")).toBeUndefined();
    expect(readCertRecord(store, "wild").domains).toEqual(["*.dns01.test", "dns01.test"]);

    // Two values on one record (the apex's and the wildcard's), each presented and cleaned up.
    const calls = readFileSync(hookLog, "utf8").trim().split("\n").map((l) => l.split(" "));
    expect(calls.map((c) => `${c[0]} ${c[1]} ${c[5]}`).sort()).toEqual([
      "cleanup dns01.test _acme-challenge.dns01.test",
      "cleanup dns01.test _acme-challenge.dns01.test",
      "present dns01.test _acme-challenge.dns01.test",
      "present dns01.test _acme-challenge.dns01.test",
    ]);
    const values = calls.filter((c) => c[0] === "present").map((c) => c[2]);
    expect(new Set(values).size).toBe(2);
    for (const c of calls) expect(c[6]).toBe(c[2]);
    expect(await txtRecords("_acme-challenge.dns01.test")).toEqual([]);

    // The second pass orders nothing: the certificate covers the names.
    const again = await renewCertificates({ cluster: clusterFor(pebble), sites: [s], store, log: pino({ level: "silent" }), controller: { dnsHook: hook } });
    expect(again).toEqual([]);
  });

  it("a name the hook cannot publish fails alone; the site's other names are issued in the same pass", async () => {
    writeFileSync(hookLog, "");
    const hook: DnsHook = { command: writeHook(pebble), propagationSeconds: 0, timeoutSeconds: 30 };
    const store = new StateStore(mkdtempSync(path.join(work, "state-")), "dns01", "read-write");
    const s = site("mixed", ["www.mixed-dns01.test", HOOK_FAILS_FOR], { challenge: "dns-01" });
    const out = await renewCertificates({ cluster: clusterFor(pebble), sites: [s], store, log: pino({ level: "silent" }), controller: { dnsHook: hook } });
    expect(out).toEqual([{ site: "mixed", issued: ["www.mixed-dns01.test"], failedDomains: { [HOOK_FAILS_FOR]: expect.stringMatching(/DNS hook's present for _acme-challenge\.broken\.dns01\.test failed: exit 3: provider says: zone not found/) } }]);
    expect(readCertRecord(store, "mixed").failing[HOOK_FAILS_FOR]?.attempts).toBe(1);
    // Whatever was published in the failed order was removed too.
    const presented = readFileSync(hookLog, "utf8").trim().split("\n").filter((l) => l.startsWith("present www."));
    const cleaned = readFileSync(hookLog, "utf8").trim().split("\n").filter((l) => l.startsWith("cleanup www."));
    expect(cleaned.length).toBe(presented.length);
    expect(await txtRecords("_acme-challenge.www.mixed-dns01.test")).toEqual([]);
  });

  it("without a hook, a wildcard site is not ordered and says which flag is missing", async () => {
    const store = new StateStore(mkdtempSync(path.join(work, "state-")), "dns01", "read-write");
    const s = site("nohook", ["www.nohook-dns01.test"], { wildcards: ["*.nohook-dns01.test"] });
    const out = await renewCertificates({ cluster: clusterFor(pebble), sites: [s], store, log: pino({ level: "silent" }) });
    expect(out).toEqual([{ site: "nohook", failedDomains: {}, error: expect.stringContaining("--acme-dns-hook") }]);
    expect(readCertPem(store, "nohook")).toBeUndefined();
  });
});

describe("external account binding, against a Pebble that requires it", () => {
  const kid = "kid-simulium";
  const hmacKey = "zWNDZM6eQGHWpSRTPal5eIUYFTu7EajVIoguysqZ9wG44nMEtx3MUAsUDkMTQ12W";
  let eabPebble: Pebble;

  beforeAll(async () => {
    eabPebble = await startPebble(await freePort(), {}, { eabKeys: { [kid]: hmacKey } });
  });
  afterAll(async () => {
    await eabPebble?.stop();
  });

  const order = async (controller: AcmeControllerOptions, name: string) => {
    const store = new StateStore(mkdtempSync(path.join(work, "state-")), "eab", "read-write");
    const captured = capturedLog();
    const hook: DnsHook = { command: writeHook(eabPebble), propagationSeconds: 0, timeoutSeconds: 30 };
    const s = site(name, [`www.${name}.test`], { challenge: "dns-01" });
    const out = await renewCertificates({ cluster: clusterFor(eabPebble), sites: [s], store, log: captured.log, controller: { dnsHook: hook, ...controller } });
    return { out, store, logText: captured.text() };
  };

  it("refuses an account without the binding, and registers and issues with it; the HMAC key is never logged", async () => {
    const without = await order({}, "eab-none");
    expect(without.out).toEqual([{ site: "eab-none", failedDomains: {}, error: expect.stringContaining("externalAccountBinding") }]);

    const keyFile = path.join(work, "eab.key");
    writeFileSync(keyFile, `${hmacKey}\n`, { mode: 0o600 });
    const withEab = await order({ eab: { kid, hmacKeyFile: keyFile } }, "eab-ok");
    expect(withEab.out).toEqual([{ site: "eab-ok", issued: ["www.eab-ok.test"], failedDomains: {} }]);
    expect(readCertPem(withEab.store, "eab-ok")?.toString()).toContain("BEGIN CERTIFICATE");
    expect(withEab.logText).toContain("certificate issued");
    expect(withEab.logText).not.toContain(hmacKey);
  });

  it("a wrong HMAC key is refused by the CA, and the error carries no byte of it", async () => {
    const wrong = "b10lLJs8l1GPIzsLP0s6pMt8O0XVGnfTaCeROxQM0BIt2XrJMDHJZBM5NuQmQJQH";
    const keyFile = path.join(work, "wrong.key");
    writeFileSync(keyFile, wrong, { mode: 0o600 });
    const r = await order({ eab: { kid, hmacKeyFile: keyFile } }, "eab-wrong");
    expect(r.out).toEqual([{ site: "eab-wrong", failedDomains: {}, error: expect.stringContaining("external account binding JWS verification error") }]);
    expect(JSON.stringify(r.out)).not.toContain(wrong);
    expect(r.logText).not.toContain(wrong);
    expect(readCertPem(r.store, "eab-wrong")).toBeUndefined();
  });
});
