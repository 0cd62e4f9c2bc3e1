import { loadFiles } from "../../../controller/manifests/load";
import { onlyError, siteYaml } from "./helpers";

const cluster = (tls: string) => ({ path: "simulium.yaml", text: `apiVersion: simulium/v1\nkind: Cluster\nspec:\n  instance: t\n  varnish: {image: v}\n${tls}` });
const ACME = "  tls:\n    image: simulium/tls:local\n    acme: {directory: https://acme-staging-v02.api.letsencrypt.org/directory, email: ops@example.org}\n";
const site = (tls = "") => ({ path: "sites/acme.yaml", text: siteYaml() + tls });

describe("spec.tls", () => {
  it("is acme by default once simulium.yaml names an ACME directory: redirect on, HSTS off", () => {
    const r = loadFiles([cluster(ACME), site()]);
    expect(r.errors).toEqual([]);
    expect(r.sites[0]?.tls).toEqual({ mode: "acme", redirect: true });
    expect(r.cluster?.tls).toEqual({ image: "simulium/tls:local", port: 443, publicPort: 443, replicas: 1, global: false, constraints: [], acme: { directory: "https://acme-staging-v02.api.letsencrypt.org/directory", email: "ops@example.org", renewBeforeFraction: 1 / 3, checkDns: true, expectAddresses: [] } });
  });

  it("runs the terminators where Varnish runs: global on its nodes when Varnish is, replicated when replicas are given", () => {
    const with_ = (varnish: string, tls: string) => ({ path: "simulium.yaml", text: `apiVersion: simulium/v1\nkind: Cluster\nspec:\n  instance: t\n  varnish: ${varnish}\n  tls: ${tls}\n` });
    const global = loadFiles([with_('{image: v, mode: global, constraints: ["node.labels.edge==true"]}', "{image: h}")]);
    expect(global.errors).toEqual([]);
    expect(global.cluster?.varnish).toMatchObject({ mode: "global", constraints: ["node.labels.edge==true"] });
    expect(global.cluster?.tls).toMatchObject({ global: true, constraints: ["node.labels.edge==true"] });
    const counted = loadFiles([with_('{image: v, mode: global, constraints: ["node.labels.edge==true"]}', "{image: h, replicas: 2}")]);
    expect(counted.cluster?.tls).toMatchObject({ global: false, replicas: 2, constraints: ["node.labels.edge==true"] });
    expect(loadFiles([with_("{image: v, replicas: 3}", "{image: h}")]).cluster?.tls).toMatchObject({ global: false, replicas: 3, constraints: [] });
    expect(onlyError(loadFiles([with_("{image: v, mode: everywhere}", "{image: h}")]))).toMatchObject({ file: "simulium.yaml", path: "spec.varnish.mode" });
  });

  it("is plain http without an ACME directory, and when the site says none", () => {
    expect(loadFiles([cluster("  tls: {image: h}\n"), site()]).sites[0]?.tls).toBeUndefined();
    const none = loadFiles([cluster(ACME), site("  tls: {mode: none}\n")]);
    expect(none.errors).toEqual([]);
    expect(none.sites[0]?.tls).toBeUndefined();
  });

  it("takes redirect and HSTS as written, HSTS's max-age defaulting to a year", () => {
    expect(loadFiles([cluster(ACME), site("  tls: {redirect: false, hsts: {includeSubDomains: true}}\n")]).sites[0]?.tls).toEqual({
      mode: "acme",
      redirect: false,
      hsts: { maxAge: 31_536_000, includeSubDomains: true },
    });
  });

  it("refuses an unknown mode at its line and field", () => {
    expect(onlyError(loadFiles([cluster(ACME), site("  tls: {mode: letsencrypt}\n")]))).toMatchObject({ file: "sites/acme.yaml", line: 10, path: "spec.tls.mode" });
  });

  it("refuses an ACME directory that is not https", () => {
    expect(onlyError(loadFiles([cluster("  tls:\n    image: h\n    acme: {directory: http://ca.test/dir, email: a@b.c}\n")]))).toMatchObject({ file: "simulium.yaml", path: "spec.tls.acme.directory" });
  });

  it("checks every site again when the ACME directory is added (the default mode changes)", () => {
    expect(loadFiles([cluster(""), site()]).sites[0]?.tls).toBeUndefined();
    expect(loadFiles([cluster(ACME), site()]).sites[0]?.tls?.mode).toBe("acme");
  });

  it("takes the DNS-01 challenge and wildcards of an ACME site, wildcards sorted", () => {
    const r = loadFiles([cluster(ACME), site('  tls: {challenge: dns-01, wildcards: ["*.acme.example.org"]}\n')]);
    expect(r.errors).toEqual([]);
    expect(r.sites[0]?.tls).toEqual({ mode: "acme", redirect: true, challenge: "dns-01", wildcards: ["*.acme.example.org"] });
  });

  it("takes a wildcard under a domain of the site (its apex), or one covering a domain", () => {
    expect(loadFiles([cluster(ACME), site('  tls: {wildcards: ["*.example.org"]}\n')]).errors).toEqual([]);
  });

  it("refuses a wildcard that covers none of the site's domains (someone else's zone) at its field", () => {
    expect(onlyError(loadFiles([cluster(ACME), site('  tls: {wildcards: ["*.other.example.org"]}\n')]))).toMatchObject({
      file: "sites/acme.yaml",
      path: "spec.tls.wildcards[0]",
      message: expect.stringContaining("is for none of spec.domains"),
    });
  });

  it("refuses a wildcard that is not one label of `*` (a bare name, or `*` deeper in)", () => {
    for (const w of ["acme.example.org", "www.*.example.org", "*.*.example.org", "*example.org"]) {
      expect(onlyError(loadFiles([cluster(ACME), site(`  tls: {wildcards: ["${w}"]}\n`)]))).toMatchObject({ path: "spec.tls.wildcards[0]" });
    }
  });

  it("refuses a challenge or wildcards on a site without ACME", () => {
    expect(onlyError(loadFiles([cluster(ACME), site("  tls: {mode: none, challenge: dns-01}\n")]))).toMatchObject({ path: "spec.tls.challenge", message: expect.stringContaining("ACME certificates only") });
    expect(onlyError(loadFiles([cluster(""), site('  tls: {wildcards: ["*.acme.example.org"]}\n')]))).toMatchObject({ path: "spec.tls.wildcards", message: expect.stringContaining("plain http") });
  });

  it("refuses a DNS hook or an external account key in simulium.yaml, naming the controller flags that set them", () => {
    const acme = (extra: string) => `  tls:\n    image: h\n    acme:\n      directory: https://ca.test/dir\n      email: a@b.c\n${extra}`;
    const hook = onlyError(loadFiles([cluster(acme("      dns01: {command: /bin/sh}\n"))]));
    expect(hook).toMatchObject({ file: "simulium.yaml", line: 11, path: "spec.tls.acme.dns01", message: expect.stringContaining("--acme-dns-hook FILE") });
    const eab = onlyError(loadFiles([cluster(acme("      externalAccountBinding: {kid: k, hmacKeyFile: /var/lib/simulium/default/restic-password}\n"))]));
    expect(eab).toMatchObject({ path: "spec.tls.acme.externalAccountBinding", message: expect.stringContaining("--acme-eab-hmac-key-file FILE") });
  });
});
