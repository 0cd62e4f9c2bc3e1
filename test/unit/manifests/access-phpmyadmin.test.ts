import { loadFiles } from "../../../controller/manifests/load";
import { loadSite, siteYaml } from "./helpers";

const database = "  database: {name: drupal, user: drupal, image: mariadb:11.4}\n";
const pmaYaml = (name = "acme", pma = `{domain: db.${name}.example.org, image: "simulium/phpmyadmin:1"}`, db = database) =>
  `${siteYaml(name, [`${name}.example.org`])}${db}  access:\n    phpmyadmin: ${pma}\n`;

describe("spec.access.phpmyadmin", () => {
  it("resolves with the default basic-auth user", () => {
    const r = loadSite("acme", pmaYaml());
    expect(r.errors).toEqual([]);
    expect(r.sites[0]?.access).toEqual({ phpmyadmin: { image: "simulium/phpmyadmin:1", domain: "db.acme.example.org", user: "admin" } });
  });

  it("takes the image from simulium.yaml defaults and the user from the manifest", () => {
    const r = loadFiles([
      { path: "simulium.yaml", text: "apiVersion: simulium/v1\nkind: Cluster\nspec:\n  defaults:\n    phpmyadmin: {image: simulium/phpmyadmin:2}\n" },
      { path: "sites/acme.yaml", text: pmaYaml("acme", "{domain: db.acme.example.org, user: client}") },
    ]);
    expect(r.errors).toEqual([]);
    expect(r.sites[0]?.access?.phpmyadmin).toEqual({ image: "simulium/phpmyadmin:2", domain: "db.acme.example.org", user: "client" });
  });

  it("is off unless declared, and leaves a disabled one out", () => {
    expect(loadSite("acme", `${siteYaml()}${database}`).sites[0]?.access).toBeUndefined();
    const r = loadSite("acme", pmaYaml("acme", "{enabled: false, domain: db.acme.example.org}"));
    expect(r.errors).toEqual([]);
    expect(r.sites[0]?.access).toBeUndefined();
  });

  it("needs an image and the site's database", () => {
    const r = loadSite("acme", pmaYaml("acme", "{domain: db.acme.example.org}", ""));
    expect(r.errors.map((e) => [e.path, e.message])).toEqual([
      ["spec.access.phpmyadmin.image", "no phpMyAdmin image: set spec.access.phpmyadmin.image, or spec.defaults.phpmyadmin.image in simulium.yaml"],
      ["spec.access.phpmyadmin", "phpMyAdmin manages the site's database, and this site has none: add spec.database"],
    ]);
  });

  it("refuses one of the site's own web domains", () => {
    const r = loadSite("acme", pmaYaml("acme", `{domain: acme.example.org, image: i}`));
    expect(r.errors.map((e) => [e.path, e.message])).toEqual([
      ["spec.access.phpmyadmin.domain", '"acme.example.org" is one of the site\'s own domains (spec.domains): phpMyAdmin needs a host name of its own'],
    ]);
  });

  it.each([
    ["an upper-case host", "DB.acme.example.org"],
    ["a URL", "https://db.acme.example.org"],
  ])("refuses %s as the domain", (_what, domain) => {
    const r = loadSite("acme", pmaYaml("acme", `{domain: "${domain}", image: i}`));
    expect(r.errors.map((e) => e.path)).toEqual(["spec.access.phpmyadmin.domain"]);
  });

  it("claims its domain across sites: a later site cannot take it, for its web or its phpMyAdmin", () => {
    const web = `${siteYaml("beta", ["db.acme.example.org"])}`;
    const r = loadSite("acme", pmaYaml(), { beta: web, gamma: pmaYaml("gamma", "{domain: db.acme.example.org, image: i}") });
    expect(r.sites.map((s) => s.name)).toEqual(["acme"]);
    expect(r.invalidSites).toEqual(["beta", "gamma"]);
    expect(r.errors.map((e) => [e.file, e.path, e.message])).toEqual([
      ["sites/beta.yaml", "spec.domains[0]", expect.stringContaining('"db.acme.example.org" is already served by site "acme" (sites/acme.yaml:')],
      ["sites/gamma.yaml", "spec.access.phpmyadmin.domain", expect.stringContaining('"db.acme.example.org" is already served by site "acme" (sites/acme.yaml:')],
    ]);
  });

  it("loses its domain to an earlier site's web domain, located at the phpMyAdmin field", () => {
    const r = loadSite("acme", `${siteYaml("acme", ["db.beta.example.org"])}`, { beta: pmaYaml("beta") });
    expect(r.invalidSites).toEqual(["beta"]);
    const e = r.errors[0];
    expect([e?.path, e?.line, e?.column]).toEqual(["spec.access.phpmyadmin.domain", 12, 26]);
  });
});
