import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { resolveCluster } from "../../../controller/manifests/resolve";
import type { LoadResult } from "../../../controller/manifests/types";
import { StateStore } from "../../../controller/state/store";
import { knownCerts } from "../../../controller/tls/certs";
import { checkBundle } from "../../../controller/tls/pem";
import { renderTlsResources } from "../../../controller/tls/render";
import { selfSignedBundle } from "./certs-fixture";

const cluster = resolveCluster({ apiVersion: "simulium/v1", kind: "Cluster", spec: { instance: "t", varnish: { image: "v" }, tls: { image: "hitch:1", port: 8443 } } });
const good = selfSignedBundle(["www.a.test", "a.test"]);

describe("checkBundle", () => {
  it("reads a key + chain bundle's names and validity", () => {
    const info = checkBundle("a", good, new Date());
    expect(info.names).toEqual(["a.test", "www.a.test"]);
    expect(info.notAfter.getTime()).toBeGreaterThan(Date.now() + 80 * 86_400_000);
  });

  it("refuses a bundle without key, with a foreign key, or expired, without printing the key", () => {
    const other = selfSignedBundle(["b.test"]);
    const cert = good.slice(good.indexOf("-----BEGIN CERTIFICATE"));
    const foreignKey = other.slice(0, other.indexOf("-----BEGIN CERTIFICATE"));
    expect(() => checkBundle("a", cert, new Date())).toThrow("certificate of site a: expected one private key, found 0");
    expect(() => checkBundle("a", foreignKey + cert, new Date())).toThrow("the private key does not belong to the certificate");
    expect(() => checkBundle("a", good, new Date(Date.now() + 400 * 86_400_000))).toThrow(/expired/);
    try {
      checkBundle("a", foreignKey + cert, new Date());
    } catch (err) {
      expect((err as Error).message).not.toContain("PRIVATE");
    }
  });
});

describe("renderTlsResources", () => {
  it("without a certificate: only the network (hitch does not start without one)", () => {
    expect(renderTlsResources(cluster, []).map((r) => `${r.kind} ${r.name}`)).toEqual(["network t_tls"]);
  });

  it("one content-named secret per site, and a host-mode hitch that speaks PROXY v2 to Varnish and mounts none of them", () => {
    const rs = renderTlsResources(cluster, [{ site: "b", pem: Buffer.from(selfSignedBundle(["b.test"])) }, { site: "a", pem: Buffer.from(good) }]);
    expect(rs.map((r) => `${r.kind} ${r.name.replace(/[0-9a-f]{10}$/, "<hash>")}`)).toEqual(["network t_tls", "volume t_tls-certs", "secret a_tls-<hash>", "secret b_tls-<hash>", "service t_tls"]);
    const svc = rs.find((r) => r.kind === "service");
    if (svc?.kind !== "service") throw new Error("no service");
    expect(svc.shape.args).toEqual(expect.arrayContaining(["--write-proxy-v2=on", "--backend=[t_varnish]:8443"]));
    expect(svc.shape.env).toEqual({ HITCH_FRONTEND: "[*]:443" });
    expect(svc.shape.ports).toEqual([{ target: 443, published: 8443, protocol: "tcp", mode: "host" }]);
    expect(svc.shape.networks).toEqual(["t_tls"]);
    // The certificates come through the node's tmpfs directory (tls/deliver.ts), never a mounted secret.
    expect(svc.shape.secrets).toEqual([]);
    expect(svc.shape.mounts).toEqual([{ source: "t_tls-certs", target: "/etc/hitch/certs", readOnly: false }]);
    const tmpfs = { driver: "local", options: { type: "tmpfs", device: "tmpfs", o: "size=16m,mode=0700" } };
    expect(svc.volumes?.["t_tls-certs"]).toEqual({ ...tmpfs, labels: { "simulium.instance": "t", "com.docker.stack.namespace": "t", "simulium.role": "tls" } });
    expect(rs.find((r) => r.kind === "volume")).toEqual({ kind: "volume", site: null, name: "t_tls-certs", ...tmpfs, labels: svc.volumes?.["t_tls-certs"]?.labels });
    expect(svc.shape.sysctls).toEqual({ "net.ipv4.tcp_migrate_req": "1" });
  });

  it("a renewed certificate is a new secret name and leaves the terminator's service as it is (no task restart)", () => {
    const render = (pems: readonly { site: string; pem: string }[]) => renderTlsResources(cluster, pems.map((p) => ({ site: p.site, pem: Buffer.from(p.pem) })));
    const name = (pem: string) => render([{ site: "a", pem }]).find((r) => r.kind === "secret")?.name;
    expect(name(good)).toBe(name(good));
    const renewed = selfSignedBundle(["www.a.test", "a.test"]);
    expect(name(renewed)).not.toBe(name(good));
    const service = (pems: readonly { site: string; pem: string }[]) => render(pems).find((r) => r.kind === "service");
    expect(service([{ site: "a", pem: renewed }])).toEqual(service([{ site: "a", pem: good }]));
    // A site added or removed does not change it either.
    expect(service([{ site: "a", pem: good }, { site: "b", pem: selfSignedBundle(["b.test"]) }])).toEqual(service([{ site: "a", pem: good }]));
  });
});

describe("knownCerts", () => {
  it("renders a stored bundle that passes, and refuses a broken one with a warning instead of rolling it out", () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), "simulium-tls-"));
    try {
      const store = new StateStore(dir, "t", "read-write");
      store.replace("tls/a.pem", good);
      store.replace("tls/b.pem", good.replace(/-----BEGIN CERTIFICATE-----[\s\S]*$/, ""));
      const site = (name: string) => ({ name, suspend: false, tls: { mode: "acme" } });
      store.replace("tls/d.pem", good);
      store.replace("tls/e.pem", good);
      // d is suspended (kept as it runs), e's manifest is invalid (kept as it runs), c has no TLS.
      const load = { sites: [site("a"), site("b"), { name: "c", suspend: false }, { ...site("d"), suspend: true }], invalidSites: ["e"], errors: [] } as unknown as LoadResult;
      const known = knownCerts(cluster, load, store, new Date());
      expect(known.certs.map((c) => c.site)).toEqual(["a", "d", "e"]);
      expect(known.warnings).toEqual([{ site: "b", name: "b", message: expect.stringMatching(/^certificate of site b: no certificate: not rolled out/) }]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
