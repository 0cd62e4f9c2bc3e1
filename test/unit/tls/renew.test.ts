import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import pino from "pino";
import { resolveCluster } from "../../../controller/manifests/resolve";
import type { ResolvedSite } from "../../../controller/manifests/types";
import { StateStore } from "../../../controller/state/store";
import { readCertPem, readCertRecord } from "../../../controller/state/tls-store";
import type { AcmeDirectory, OrderOptions, OrderOutcome } from "../../../controller/tls/acme";
import { renewCertificates } from "../../../controller/tls/renew";
import { selfSignedBundle } from "./certs-fixture";

const log = pino({ level: "silent" });
const cluster = resolveCluster({
  apiVersion: "simulium/v1",
  kind: "Cluster",
  spec: { instance: "t", varnish: { image: "v" }, tls: { image: "h", acme: { directory: "https://ca.test/dir", email: "ops@example.org", checkDns: false } } },
});
const site = (domains: string[]): ResolvedSite =>
  ({ name: "s", domains, suspend: false, tls: { mode: "acme", redirect: true } }) as unknown as ResolvedSite;

let dir = "";
let store: StateStore;
beforeEach(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), "simulium-tls-"));
  store = new StateStore(dir, "t", "read-write");
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

/** A CA that fails validation of the names in `bad`, and issues (self-signed, 90 days) otherwise. */
function fakeCa(bad: ReadonlySet<string>, fail?: OrderOutcome) {
  const orders: string[][] = [];
  const order = async (_dir: AcmeDirectory, _key: Buffer, domains: readonly string[]): Promise<OrderOutcome> => {
    orders.push([...domains]);
    if (fail) return fail;
    const failed = new Map(domains.filter((d) => bad.has(d)).map((d) => [d, `DNS problem: NXDOMAIN looking up A for ${d}`]));
    if (failed.size > 0) return { ok: false, failedDomains: failed };
    return { ok: true, pem: selfSignedBundle(domains) };
  };
  return { order, orders };
}

describe("renewCertificates", () => {
  it("sets a failing name aside and issues for the others in the same pass; orders nothing on the next", async () => {
    const ca = fakeCa(new Set(["bad.test"]));
    const now = new Date();
    const out = await renewCertificates({ cluster, sites: [site(["www.test", "bad.test"])], store, log, order: ca.order, now: () => now, random: () => 0 });
    expect(ca.orders).toEqual([["bad.test", "www.test"], ["www.test"]]);
    expect(out).toEqual([{ site: "s", issued: ["www.test"], failedDomains: { "bad.test": expect.stringContaining("NXDOMAIN") } }]);
    const record = readCertRecord(store, "s");
    expect(record.domains).toEqual(["www.test"]);
    expect(record.failing["bad.test"]?.attempts).toBe(1);
    expect(readCertPem(store, "s")?.toString()).toContain("BEGIN CERTIFICATE");

    const again = await renewCertificates({ cluster, sites: [site(["www.test", "bad.test"])], store, log, order: ca.order, now: () => new Date(now.getTime() + 60_000) });
    expect(again).toEqual([]);
    expect(ca.orders).toHaveLength(2);
  });

  it("retries the failing name after its backoff, with a longer backoff when it fails again", async () => {
    const ca = fakeCa(new Set(["bad.test"]));
    const now = new Date();
    await renewCertificates({ cluster, sites: [site(["www.test", "bad.test"])], store, log, order: ca.order, now: () => now });
    const later = new Date(now.getTime() + 301_000);
    await renewCertificates({ cluster, sites: [site(["www.test", "bad.test"])], store, log, order: ca.order, now: () => later });
    // Retried with the others; it failed again, and the valid certificate was kept, not re-ordered without it.
    expect(ca.orders.slice(2)).toEqual([["bad.test", "www.test"]]);
    const f = readCertRecord(store, "s").failing["bad.test"];
    expect(f?.attempts).toBe(2);
    expect(Date.parse(f?.nextAttemptAt ?? "")).toBe(later.getTime() + 600_000);
  });

  it("waits out a failed order: the CA's Retry-After when longer than the backoff, never a tight loop", async () => {
    const ca = fakeCa(new Set(), { ok: false, error: "too many certificates already issued", retryAfter: "3600" });
    const now = new Date();
    const out = await renewCertificates({ cluster, sites: [site(["www.test"])], store, log, order: ca.order, now: () => now });
    expect(out).toEqual([{ site: "s", failedDomains: {}, error: "too many certificates already issued" }]);
    expect(readCertRecord(store, "s")).toMatchObject({ orderFailures: 1, nextAttemptAt: new Date(now.getTime() + 3_600_000).toISOString() });
    await renewCertificates({ cluster, sites: [site(["www.test"])], store, log, order: ca.order, now: () => new Date(now.getTime() + 3_599_000) });
    expect(ca.orders).toHaveLength(1);
  });

  it("refuses a bundle that is not a certificate for a key: nothing stored, the order backs off", async () => {
    const ca = fakeCa(new Set(), { ok: true, pem: "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n" });
    const out = await renewCertificates({ cluster, sites: [site(["www.test"])], store, log, order: ca.order });
    expect(out[0]?.error).toMatch(/certificate of site s: expected one private key/);
    expect(readCertPem(store, "s")).toBeUndefined();
    expect(readCertRecord(store, "s").orderFailures).toBe(1);
  });

  it("orders again when the certificate file is lost, though its record says it is valid", async () => {
    const ca = fakeCa(new Set());
    await renewCertificates({ cluster, sites: [site(["www.test"])], store, log, order: ca.order });
    rmSync(path.join(dir, "t", "tls", "s.pem"));
    await renewCertificates({ cluster, sites: [site(["www.test"])], store, log, order: ca.order });
    expect(ca.orders).toEqual([["www.test"], ["www.test"]]);
    expect(readCertPem(store, "s")?.toString()).toContain("BEGIN CERTIFICATE");
  });

  it("looks names up first: one that does not point at the cluster is set aside without an order", async () => {
    const checked = resolveCluster({
      apiVersion: "simulium/v1",
      kind: "Cluster",
      spec: { instance: "t", varnish: { image: "v" }, tls: { image: "h", acme: { directory: "https://ca.test/dir", email: "ops@example.org", expectAddresses: ["203.0.113.7"] } } },
    });
    const dns: Record<string, string[]> = { "www.test": ["203.0.113.7"], "elsewhere.test": ["198.51.100.1"] };
    const resolve = async (d: string) => {
      const a = dns[d];
      if (a === undefined) throw Object.assign(new Error("not found"), { code: "ENOTFOUND" });
      return a;
    };
    const ca = fakeCa(new Set());
    const out = await renewCertificates({ cluster: checked, sites: [site(["www.test", "elsewhere.test", "gone.test"])], store, log, order: ca.order, resolve });
    expect(ca.orders).toEqual([["www.test"]]);
    expect(out[0]?.failedDomains).toEqual({
      "elsewhere.test": "resolves to 198.51.100.1, none of spec.tls.acme.expectAddresses",
      "gone.test": "does not resolve from the controller (ENOTFOUND); point its DNS at the cluster",
    });
    expect(Object.keys(readCertRecord(store, "s").failing).sort()).toEqual(["elsewhere.test", "gone.test"]);
  });

  it("keeps the account key in the state directory, made once", async () => {
    const ca = fakeCa(new Set());
    await renewCertificates({ cluster, sites: [site(["www.test"])], store, log, order: ca.order });
    const key = readFileSync(path.join(dir, "t", "tls", "account.key"), "utf8");
    expect(key).toContain("BEGIN PRIVATE KEY");
    await renewCertificates({ cluster, sites: [site(["www.test", "new.test"])], store, log, order: ca.order });
    expect(readFileSync(path.join(dir, "t", "tls", "account.key"), "utf8")).toBe(key);
  });
});

describe("renewCertificates with DNS-01 and an external account", () => {
  const hook = { command: "/usr/local/bin/dns-hook", propagationSeconds: 30, timeoutSeconds: 120 };
  const dnsSite = (domains: string[], tls: Record<string, unknown>): ResolvedSite => ({ ...site(domains), tls: { mode: "acme", redirect: true, ...tls } }) as ResolvedSite;
  const recordingCa = () => {
    const calls: { dir: AcmeDirectory; domains: string[]; opts: OrderOptions }[] = [];
    const order = async (dir: AcmeDirectory, _key: Buffer, domains: readonly string[], opts: OrderOptions): Promise<OrderOutcome> => {
      calls.push({ dir, domains: [...domains], opts });
      return { ok: true, pem: selfSignedBundle(domains) };
    };
    return { order, calls };
  };
  const nothingResolves = async (d: string): Promise<string[]> => {
    throw Object.assign(new Error(`${d} not found`), { code: "ENOTFOUND" });
  };
  const checked = resolveCluster({
    apiVersion: "simulium/v1",
    kind: "Cluster",
    spec: { instance: "t", varnish: { image: "v" }, tls: { image: "h", acme: { directory: "https://ca.test/dir", email: "ops@example.org" } } },
  });

  it("orders the wildcard instead of the domains under it, through the hook, without looking DNS-01 names up", async () => {
    const ca = recordingCa();
    const s = dnsSite(["example.test", "www.example.test", "shop.example.test"], { wildcards: ["*.example.test"] });
    const out = await renewCertificates({ cluster: checked, sites: [s], store, log, order: ca.order, resolve: nothingResolves, controller: { dnsHook: hook } });
    // The apex is HTTP-01 (the site's challenge) and does not resolve: set aside; the wildcard is ordered alone.
    expect(ca.calls.map((c) => c.domains)).toEqual([["*.example.test"]]);
    expect(ca.calls[0]?.opts).toMatchObject({ challenge: "http-01", dnsHook: hook });
    expect(out).toEqual([{ site: "s", issued: ["*.example.test"], failedDomains: { "example.test": expect.stringContaining("does not resolve") } }]);
    // A new domain under the wildcard needs no new order.
    const more = dnsSite(["example.test", "www.example.test", "shop.example.test", "new.example.test"], { wildcards: ["*.example.test"] });
    expect(await renewCertificates({ cluster: checked, sites: [more], store, log, order: ca.order, resolve: nothingResolves, controller: { dnsHook: hook } })).toEqual([]);
  });

  it("with challenge dns-01 looks no name up: they need not point at the cluster", async () => {
    const ca = recordingCa();
    const out = await renewCertificates({ cluster: checked, sites: [dnsSite(["intranet.test", "www.intranet.test"], { challenge: "dns-01" })], store, log, order: ca.order, resolve: nothingResolves, controller: { dnsHook: hook } });
    expect(ca.calls.map((c) => [c.domains, c.opts.challenge])).toEqual([[["intranet.test", "www.intranet.test"], "dns-01"]]);
    expect(out[0]?.issued).toEqual(["intranet.test", "www.intranet.test"]);
  });

  it("without a hook orders nothing, says which flag is missing, and waits before saying it again", async () => {
    const ca = recordingCa();
    const s = dnsSite(["www.example.test"], { wildcards: ["*.example.test"] });
    const now = new Date();
    const out = await renewCertificates({ cluster, sites: [s], store, log, order: ca.order, now: () => now });
    expect(ca.calls).toEqual([]);
    expect(out).toEqual([{ site: "s", failedDomains: {}, error: expect.stringContaining("*.example.test needs DNS-01") }]);
    expect(out[0]?.error).toContain("--acme-dns-hook FILE");
    expect(readCertRecord(store, "s")).toMatchObject({ orderFailures: 1, nextAttemptAt: new Date(now.getTime() + 300_000).toISOString() });
    expect(await renewCertificates({ cluster, sites: [s], store, log, order: ca.order, now: () => new Date(now.getTime() + 60_000) })).toEqual([]);
  });

  it("hands the external account to the ACME edge with the cluster's directory", async () => {
    const ca = recordingCa();
    const eab = { kid: "kid-1", hmacKeyFile: "/etc/simulium/eab.key" };
    await renewCertificates({ cluster, sites: [site(["www.test"])], store, log, order: ca.order, controller: { eab } });
    expect(ca.calls[0]?.dir).toMatchObject({ directory: "https://ca.test/dir", email: "ops@example.org", eab });
  });
});
