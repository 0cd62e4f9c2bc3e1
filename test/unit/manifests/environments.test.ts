import { environmentsOfInvalid, MAIL_SINK_ENV, splitEnvironmentName } from "../../../controller/manifests/environments";
import { loadFiles } from "../../../controller/manifests/load";
import { renderDesired } from "../../../controller/desired/render";
import type { LoadResult, ResolvedSite } from "../../../controller/manifests/types";
import { cluster } from "../../fixtures/core/builders";

const clusterYaml = (spec = "  instance: demo\n"): string => `apiVersion: simulium/v1\nkind: Cluster\nspec:\n${spec}`;

/** A site with a database, a volume, a sealed secret, mail, a cron and a staging environment; line numbers matter. */
function acme(environments: string): string {
  return [
    "apiVersion: simulium/v1", // 1
    "kind: Site", // 2
    "metadata:", // 3
    "  name: acme", // 4
    "spec:", // 5
    "  domains: [acme.org]", // 6
    "  web:", // 7
    "    image: registry.example.com/drupal:10.3", // 8
    "    env: {DRUPAL_ENV: prod}", // 9
    "  database: {image: mariadb:11.4}", // 10
    "  volumes: [{name: files, mountPath: /var/www/html/sites/default/files}]", // 11
    '  secrets: [{name: api-key, sealed: "YWdlLWVuY3J5cHRpb24ub3JnL3YxCnNtdHA="}]', // 12
    '  mail: {host: smtp.relay.example.net, user: acme, from: noreply@acme.org, password: {sealed: "YWdlLWVuY3J5cHRpb24ub3JnL3YxCnNtdHA="}}', // 13
    "  cron: [{name: drupal, schedule: '*/15 * * * *', command: [drush, cron]}]", // 14
    "  civicrm: {enabled: true}", // 15
    "  backup: {schedule: '0 3 * * *'}", // 16
    environments, // 17..
    "",
  ].join("\n");
}

const STAGING = ["  environments:", "    - name: staging", "      domains: [staging.acme.org]", "      web: {image: registry.example.com/drupal:10.4, env: {DRUPAL_ENV: staging}}"].join("\n");

function load(files: Record<string, string>): LoadResult {
  return loadFiles(Object.entries(files).map(([path, text]) => ({ path, text })));
}

function site(r: LoadResult, name: string): ResolvedSite {
  const s = r.sites.find((x) => x.name === name);
  if (!s) throw new Error(`no site ${name} in ${r.sites.map((x) => x.name).join(", ")}; errors: ${JSON.stringify(r.errors)}`);
  return s;
}

describe("environments of a site (spec.environments)", () => {
  it("become a site of their own named <site>--<env>, with their own domains and web overrides", () => {
    const r = load({ "simulium.yaml": clusterYaml(), "sites/acme.yaml": acme(STAGING) });
    expect(r.errors).toEqual([]);
    expect(r.sites.map((s) => s.name)).toEqual(["acme", "acme--staging"]);
    const staging = site(r, "acme--staging");
    expect(staging.environment).toEqual({ of: "acme", name: "staging", index: 0 });
    expect(staging.domains).toEqual(["staging.acme.org"]);
    expect(staging.web.image).toBe("registry.example.com/drupal:10.4");
    expect(staging.web.env).toEqual({ DRUPAL_ENV: "staging", [MAIL_SINK_ENV]: "1" });
    expect(site(r, "acme").environment).toBeUndefined();
    expect(site(r, "acme").web.env).toEqual({ DRUPAL_ENV: "prod" });
  });

  it("have crons, CiviCRM's scheduled jobs and bounce processing off, mail to the sink, no backups, by default", () => {
    const staging = site(load({ "sites/acme.yaml": acme(STAGING) }), "acme--staging");
    expect(staging.cron).toEqual([]);
    expect(staging.civicrm).toEqual({ scheduledJobs: false, bounces: false });
    expect(staging.mail).toBeUndefined();
    expect(staging.backup).toBeUndefined();
    expect(staging.deletionPolicy).toBe("Retain");
  });

  it("run the site's crons when they say crons: true", () => {
    const r = load({ "sites/acme.yaml": acme(`${STAGING}\n      crons: true`) });
    expect(site(r, "acme--staging").cron.map((c) => c.name)).toEqual(["drupal"]);
    expect(site(r, "acme--staging").civicrm).toEqual({ scheduledJobs: true, bounces: false });
  });

  it("never get production's sealed values: each sealed secret is generated afresh, the mail passwords are gone", () => {
    const r = load({ "sites/acme.yaml": acme(STAGING) });
    const prod = site(r, "acme").secrets;
    expect(prod.filter((s) => "sealed" in s).map((s) => s.name).sort()).toEqual(["api-key", "smtp-password"]);
    const own = site(r, "acme--staging").secrets;
    expect(own.some((s) => "sealed" in s)).toBe(false);
    expect(own.map((s) => s.name).sort()).toEqual(["api-key", "db-password", "db-root-password"]);
  });

  it("render as isolated objects: every name, network, volume and secret of the environment is its own", () => {
    const r = load({ "sites/acme.yaml": acme(STAGING) });
    const desired = renderDesired({ sites: r.sites, cluster: cluster() });
    const of = (s: string) => desired.resources.filter((x) => "site" in x && x.site === s).map((x) => x.name);
    const prod = of("acme");
    const staging = of("acme--staging");
    expect(staging).toEqual(expect.arrayContaining(["acme--staging_web", "acme--staging_db", "acme--staging_files", "acme--staging_db-data", "acme--staging_default"]));
    expect(staging.filter((n) => prod.includes(n))).toEqual([]);
    for (const n of staging) expect(n.startsWith("acme--staging_")).toBe(true);
    const web = desired.resources.find((x) => x.name === "acme--staging_web");
    if (!web || web.kind !== "service") throw new Error("no web service");
    expect(web.shape.networks.some((n) => n === "acme_default")).toBe(false);
    expect(web.shape.mounts.map((m) => m.source)).toEqual(expect.arrayContaining(["acme--staging_files"]));
    expect(web.shape.mounts.some((m) => m.source.startsWith("acme_"))).toBe(false);
  });

  it("cannot claim another site's domain: the environment is refused with file:line:field, the site keeps running", () => {
    // Files in name order: the first to claim a domain keeps it, as between sites.
    const other = "apiVersion: simulium/v1\nkind: Site\nmetadata:\n  name: abbey\nspec:\n  domains: [staging.acme.org]\n  web: {image: drupal:10}\n";
    const r = load({ "sites/acme.yaml": acme(STAGING), "sites/abbey.yaml": other });
    expect(r.errors.map((e) => [e.file, e.line, e.path, e.site, e.message])).toEqual([
      ["sites/acme.yaml", 19, "spec.environments[0].domains[0]", "acme--staging", '"staging.acme.org" is already served by site "abbey" (sites/abbey.yaml:6:13)'],
    ]);
    expect(r.sites.map((s) => s.name)).toEqual(["abbey", "acme"]);
    expect(r.invalidSites).toEqual(["acme--staging"]);
  });

  it("cannot claim a domain of another environment of the same site, nor its own site's", () => {
    const two = `${STAGING}\n    - name: dev\n      domains: [acme.org]`;
    const r = load({ "sites/acme.yaml": acme(two) });
    expect(r.errors.map((e) => [e.line, e.path, e.message])).toEqual([[22, "spec.environments[1].domains[0]", '"acme.org" is already served by site "acme" (sites/acme.yaml:6:13)']]);
    expect(r.sites.map((s) => s.name)).toEqual(["acme", "acme--staging"]);
  });

  it("refuses an environment named prod, a name used twice and an overlong full name, each at its field", () => {
    const bad = [
      "  environments:",
      "    - {name: prod, domains: [p.acme.org]}", // 18
      "    - {name: dev, domains: [d1.acme.org]}", // 19
      "    - {name: dev, domains: [d2.acme.org]}", // 20
    ].join("\n");
    const r = load({ "sites/acme.yaml": acme(bad) });
    expect(r.errors.map((e) => [e.line, e.path, e.message])).toEqual([
      [18, "spec.environments[0].name", '"prod" names the site itself (simulium sync --from prod): choose another name'],
      [20, "spec.environments[2].name", 'environment name "dev" is already used by spec.environments[1]'],
    ]);
    expect(r.sites.map((s) => s.name)).toEqual(["acme", "acme--dev"]);

    const long = "a".repeat(30);
    const text = acme("  environments: [{name: abcdefghijklmnop, domains: [x.acme.org]}]").replace("  name: acme", `  name: ${long}`);
    const r2 = load({ [`sites/${long}.yaml`]: text });
    expect(r2.errors.map((e) => [e.line, e.path])).toEqual([[17, "spec.environments[0].name"]]);
    expect(r2.errors[0]?.message).toMatch(/48 characters, over the limit of 40/);
    expect(r2.sites.map((s) => s.name)).toEqual([long]);
  });

  it("a site file named like an environment collides with it by name", () => {
    const clash = "apiVersion: simulium/v1\nkind: Site\nmetadata:\n  name: acme--staging\nspec:\n  domains: [other.org]\n  web: {image: drupal:10}\n";
    const r = load({ "sites/acme.yaml": acme(STAGING), "sites/acme--staging.yaml": clash });
    expect(r.errors.map((e) => [e.file, e.line, e.path, e.message])).toEqual([["sites/acme.yaml", 18, "spec.environments[0].name", 'site "acme--staging" is already defined in sites/acme--staging.yaml']]);
  });

  it("count against simulium.yaml's limits: the environment past the limit is refused, never the site", () => {
    const two = `${STAGING}\n    - name: dev\n      domains: [dev.acme.org]`;
    const perSite = load({ "simulium.yaml": clyaml("maxPerSite: 1"), "sites/acme.yaml": acme(two) });
    expect(perSite.errors.map((e) => [e.line, e.path, e.message])).toEqual([
      [21, "spec.environments[1].name", 'site "acme" would have 2 environments, over the limit of 1 (simulium.yaml spec.environments.maxPerSite)'],
    ]);
    expect(perSite.sites.map((s) => s.name)).toEqual(["acme", "acme--staging"]);

    const other = acme("  environments: [{name: staging, domains: [staging.zeta.org]}]").replace("  name: acme", "  name: zeta").replace("acme.org]", "zeta.org]");
    const total = load({ "simulium.yaml": clyaml("max: 1"), "sites/acme.yaml": acme(STAGING), "sites/zeta.yaml": other });
    expect(total.errors.map((e) => [e.file, e.path, e.message])).toEqual([
      ["sites/zeta.yaml", "spec.environments[0].name", "this would be environment number 2 of the instance, over the limit of 1 (simulium.yaml spec.environments.max)"],
    ]);
    expect(total.sites.map((s) => s.name)).toEqual(["acme", "acme--staging", "zeta"]);
  });

  it("a refused environment claims no domain (a later site may take it)", () => {
    const other = "apiVersion: simulium/v1\nkind: Site\nmetadata:\n  name: zeta\nspec:\n  domains: [staging.acme.org]\n  web: {image: drupal:10}\n";
    const r = load({ "simulium.yaml": clyaml("max: 0"), "sites/acme.yaml": acme(STAGING), "sites/zeta.yaml": other });
    expect(r.sites.map((s) => s.name)).toEqual(["acme", "zeta"]);
    expect(r.invalidSites).toEqual(["acme--staging"]);
  });

  it("of a site whose manifest is broken are frozen with it, not removed", () => {
    expect(environmentsOfInvalid(["acme"], ["zeta", "zeta--dev"], ["acme", "acme--staging", "zeta--dev", "acmex--dev", "a--b--dev"])).toEqual(["acme--staging"]);
    expect(environmentsOfInvalid(["a--b"], [], ["a--b--dev"])).toEqual(["a--b--dev"]);
    expect(splitEnvironmentName("acme--staging")).toEqual({ site: "acme", env: "staging" });
    expect(splitEnvironmentName("acme")).toBeUndefined();
  });
});

function clyaml(limit: string): string {
  return clusterYaml(`  instance: demo\n  environments: {${limit}}\n`);
}
