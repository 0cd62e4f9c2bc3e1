import { loadFiles } from "../../../controller/manifests/load";
import { formatError } from "../../../controller/manifests/format";
import { siteYaml } from "./helpers";

describe("rules across sites", () => {
  it("rejects a domain already served by another site, on the later file only", () => {
    const r = loadFiles([
      { path: "sites/example-org.yaml", text: siteYaml("example-org", ["example.org", "www.example.org"]) },
      { path: "sites/acme.yaml", text: siteYaml("acme", ["acme.org", "www.example.org"]) },
    ]);
    // acme.yaml sorts before example-org.yaml, so acme keeps the domain and example-org is refused.
    expect(r.sites.map((s) => s.name)).toEqual(["acme"]);
    expect(r.invalidSites).toEqual(["example-org"]);
    expect(r.errors.map(formatError)).toEqual([
      'sites/example-org.yaml:8:7: spec.domains[1]: "www.example.org" is already served by site "acme" (sites/acme.yaml:8:7)',
    ]);
    expect(r.errors[0]?.site).toBe("example-org");
  });

  it("lets a third site keep a domain only the refused site also claimed", () => {
    const r = loadFiles([
      { path: "sites/a.yaml", text: siteYaml("a", ["x.org"]) },
      { path: "sites/b.yaml", text: siteYaml("b", ["x.org", "y.org"]) },
      { path: "sites/c.yaml", text: siteYaml("c", ["y.org"]) },
    ]);
    expect(r.sites.map((s) => s.name)).toEqual(["a", "c"]);
    expect(r.invalidSites).toEqual(["b"]);
    expect(r.errors.map(formatError)).toEqual(['sites/b.yaml:7:7: spec.domains[0]: "x.org" is already served by site "a" (sites/a.yaml:7:7)']);
  });

  it("rejects a site named like the instance, whose volumes would be the instance's own (the TLS keys, the backups)", () => {
    const cluster = "apiVersion: simulium/v1\nkind: Cluster\nspec:\n  instance: demo\n";
    const hostile = `${siteYaml("demo", ["demo.example.org"])}  volumes:\n    - {name: tls-certs, mountPath: /keys}\n`;
    const r = loadFiles([
      { path: "simulium.yaml", text: cluster },
      { path: "sites/demo.yaml", text: hostile },
      { path: "sites/shop.yaml", text: siteYaml("shop", ["shop.example.org"]) },
    ]);
    expect(r.sites.map((s) => s.name)).toEqual(["shop"]);
    expect(r.invalidSites).toEqual(["demo"]);
    expect(r.errors.map(formatError)).toEqual([`sites/demo.yaml:4:9: metadata.name: site name "demo" is reserved: it is the instance's name (simulium.yaml), and the instance's own objects are named demo_<name>`]);
  });

  it("rejects a site name defined twice", () => {
    const r = loadFiles([
      { path: "sites/a.yaml", text: siteYaml("a", ["a.org"]) },
      { path: "sites/a.yaml", text: siteYaml("a", ["b.org"]) },
    ]);
    expect(r.sites).toHaveLength(1);
    expect(r.errors.map(formatError)).toEqual(['sites/a.yaml:4:9: metadata.name: site "a" is already defined in sites/a.yaml']);
  });

  it("ignores domains of a site that is invalid for another reason", () => {
    const broken = siteYaml("a", ["x.org"]).replace("kind: Site", "kind: Nope");
    const r = loadFiles([
      { path: "sites/a.yaml", text: broken },
      { path: "sites/b.yaml", text: siteYaml("b", ["x.org"]) },
    ]);
    expect(r.sites.map((s) => s.name)).toEqual(["b"]);
    expect(r.errors.map((e) => e.path)).toEqual(["kind"]);
  });
});
