import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { loadFiles } from "../../../controller/manifests/load";
import { generateKeyPair, seal } from "../../../controller/sealing/age";
import { bindValue } from "../../../controller/sealing/envelope";
import { keyFileDecrypter } from "../../../controller/sealing/key-file";
import { identityFileText } from "../../../controller/sealing/seal-input";
import { unsealSites } from "../../../controller/sealing/unseal-sites";
import { StateStore } from "../../../controller/state/store";
import { knownCerts } from "../../../controller/tls/certs";
import { renewCertificates } from "../../../controller/tls/renew";
import pino from "pino";
import { selfSignedBundle } from "./certs-fixture";

/** A certificate of the site's own (spec.tls.certificate): the chain in the manifest, the key sealed as tls-key. */
const bundle = selfSignedBundle(["own.example.org"]);
const keyPem = bundle.slice(0, bundle.indexOf("-----BEGIN CERTIFICATE"));
const chain = bundle.slice(bundle.indexOf("-----BEGIN CERTIFICATE"));
const indent = (pem: string) => pem.trim().split("\n").map((l) => `        ${l}`).join("\n");

const cluster = {
  path: "simulium.yaml",
  text: "apiVersion: simulium/v1\nkind: Cluster\nspec:\n  instance: t\n  varnish: {image: v}\n  tls:\n    image: h\n    acme: {directory: https://ca.test/dir, email: a@b.c, checkDns: false}\n",
};
const site = (sealed: string, certChain = chain) => ({
  path: "sites/own.yaml",
  text: [
    "apiVersion: simulium/v1",
    "kind: Site",
    "metadata: {name: own}",
    "spec:",
    "  domains: [own.example.org]",
    "  web: {image: registry.example.com/drupal:10.3}",
    "  tls:",
    "    certificate:",
    "      chain: |",
    indent(certChain),
    `      key: {sealed: "${sealed}"}`,
    "",
  ].join("\n"),
});

function clusterOf(load: ReturnType<typeof loadFiles>) {
  if (load.cluster === undefined) throw new Error("simulium.yaml did not load");
  return load.cluster;
}

let dir = "";
let decrypt: ReturnType<typeof keyFileDecrypter>;
let recipient = "";
beforeAll(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), "simulium-own-"));
  const key = await generateKeyPair();
  recipient = key.recipient;
  const file = path.join(dir, "key.txt");
  writeFileSync(file, identityFileText(key.identity, key.recipient, new Date(0)), { mode: 0o600 });
  decrypt = keyFileDecrypter(file);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("a certificate of the site's own", () => {
  it("is the site's mode when given, rolled out from the sealed key and the chain, never ordered", async () => {
    const sealed = await seal(bindValue(Buffer.from(keyPem), { site: "own", name: "tls-key" }), recipient);
    const { load, values } = await unsealSites(loadFiles([cluster, site(sealed)]), decrypt);
    expect(load.errors).toEqual([]);
    expect(load.sites[0]?.tls?.mode).toBe("certificate");
    const store = new StateStore(dir, "t", "read-write");
    const known = knownCerts(clusterOf(load), load, store, new Date(), values);
    expect(known.warnings).toEqual([]);
    expect(known.certs.map((c) => [c.site, c.pem.toString()])).toEqual([["own", `${keyPem.trim()}\n${chain.trim()}\n`]]);
    const orders: string[][] = [];
    await renewCertificates({ cluster: clusterOf(load), sites: load.sites, store, log: pino({ level: "silent" }), order: async (_d, _k, domains) => (orders.push([...domains]), { ok: false, error: "no" }) });
    expect(orders).toEqual([]);
  });

  it("refuses a key sealed under another name, at the key's line", async () => {
    const sealed = await seal(bindValue(Buffer.from(keyPem), { site: "own", name: "api-key" }), recipient);
    const { load } = await unsealSites(loadFiles([cluster, site(sealed)]), decrypt);
    expect(load.invalidSites).toEqual(["own"]);
    expect(load.errors[0]).toMatchObject({ file: "sites/own.yaml", path: "spec.tls.certificate.key.sealed", line: 11 + chain.trim().split("\n").length - 1 });
  });

  it("refuses a chain that does not belong to the key before any rollout (a plan warning, nothing rendered)", async () => {
    const other = selfSignedBundle(["own.example.org"]);
    const sealed = await seal(bindValue(Buffer.from(keyPem), { site: "own", name: "tls-key" }), recipient);
    const { load, values } = await unsealSites(loadFiles([cluster, site(sealed, other.slice(other.indexOf("-----BEGIN CERTIFICATE")))]), decrypt);
    const known = knownCerts(clusterOf(load), load, new StateStore(dir, "t", "read-only"), new Date(), values);
    expect(known.certs).toEqual([]);
    expect(known.warnings[0]?.message).toBe("certificate of site own: the private key does not belong to the certificate: not rolled out (spec.tls.certificate)");
  });
});

describe("environments of a site with HTTPS", () => {
  const withEnv = (tls: string) => ({
    path: "sites/own.yaml",
    text: ["apiVersion: simulium/v1", "kind: Site", "metadata: {name: own}", "spec:", "  domains: [own.example.org]", "  web: {image: registry.example.com/drupal:10.3}", tls, "  environments: [{name: staging, domains: [staging.own.example.org]}]", ""].join("\n"),
  });

  it("get ACME for their own domains, like production", () => {
    const r = loadFiles([cluster, withEnv("  tls: {hsts: {maxAge: 60}}")]);
    expect(r.errors).toEqual([]);
    expect(r.sites.map((s) => [s.name, s.tls?.mode])).toEqual([["own", "acme"], ["own--staging", "acme"]]);
  });

  it("never get production's own certificate (its sealed key, other domains)", () => {
    const r = loadFiles([cluster, withEnv(`  tls:\n    certificate:\n      chain: |\n${indent(chain)}\n      key: {sealed: "YWdlLWVuY3J5cHRpb24ub3JnL3YxCnNtdHA="}`)]);
    expect(r.errors).toEqual([]);
    expect(r.sites.map((s) => [s.name, s.tls?.mode])).toEqual([["own", "certificate"], ["own--staging", undefined]]);
  });
});
