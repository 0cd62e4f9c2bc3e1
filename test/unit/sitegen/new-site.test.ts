import { Command } from "commander";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { register } from "../../../controller/cli/new";
import { loadFiles, loadRepo } from "../../../controller/manifests/load";
import { checkNewSite, FILES_PATH, renderNewSite } from "../../../controller/sitegen/new-site";

const CLUSTER = `apiVersion: simulium/v1
kind: Cluster
spec:
  defaults:
    web: {image: "registry.example.org/drupal:10"}
    database: {image: "registry.example.org/mariadb:10.11"}
`;

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), "simulium-new-"));
  mkdirSync(path.join(dir, "sites"));
  writeFileSync(path.join(dir, "simulium.yaml"), CLUSTER);
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

async function run(args: string[]): Promise<string> {
  const program = new Command().exitOverride();
  register(program);
  let out = "";
  const spy = jest.spyOn(process.stdout, "write").mockImplementation((c: string | Uint8Array) => {
    out += String(c);
    return true;
  });
  try {
    await program.parseAsync(["node", "simulium", "new", ...args, "--repo", dir]);
  } finally {
    spy.mockRestore();
  }
  return out;
}

describe("simulium new", () => {
  it("writes a manifest that passes validation, on the cluster's defaults", async () => {
    expect(await run(["acme", "--domain", "acme.org", "--domain", "www.acme.org", "--civicrm"])).toBe("wrote sites/acme.yaml\n");
    const result = await loadRepo(dir);
    expect(result.errors).toEqual([]);
    const site = result.sites[0]!;
    expect(site.domains).toEqual(["acme.org", "www.acme.org"]);
    expect(site.web.image).toBe("registry.example.org/drupal:10");
    expect(site.database).toMatchObject({ name: "drupal", user: "drupal" });
    expect(site.volumes).toEqual([{ name: "files", mountPath: FILES_PATH, readOnly: false }]);
    expect(site.cron.map((c) => c.command)).toEqual([["drush", "cron"], ["cv", "api3", "job.execute"]]);
    expect(site.backup?.keep).toBe(7);
    expect(readFileSync(path.join(dir, "sites/acme.yaml"), "utf8")).toMatch(/^# Site acme, made by `simulium new`/);
  });

  it("without --civicrm, schedules Drupal's cron only", () => {
    const r = loadFiles([{ path: "simulium.yaml", text: CLUSTER }, { path: "sites/plain.yaml", text: renderNewSite({ name: "plain", domains: ["plain.org"], civicrm: false }) }]);
    expect(r.errors).toEqual([]);
    expect(r.sites[0]?.cron.map((c) => c.name)).toEqual(["drupal"]);
  });

  it("gives every name valid schedules (spread by the name)", () => {
    for (let i = 0; i < 60; i++) {
      const name = `s${i}`;
      const r = loadFiles([{ path: "simulium.yaml", text: CLUSTER }, { path: `sites/${name}.yaml`, text: renderNewSite({ name, domains: [`${name}.org`], civicrm: true }) }]);
      expect(r.errors).toEqual([]);
    }
  });

  it("refuses an existing site and leaves it as it was", async () => {
    writeFileSync(path.join(dir, "sites/acme.yaml"), "mine\n");
    await expect(run(["acme", "--domain", "acme.org"])).rejects.toThrow("sites/acme.yaml already exists");
    expect(readFileSync(path.join(dir, "sites/acme.yaml"), "utf8")).toBe("mine\n");
  });

  it("refuses a bad name or domain with a clear message, before touching the disk", async () => {
    await expect(run(["../etc", "--domain", "acme.org"])).rejects.toThrow(/site name "..\/etc" is not valid/);
    await expect(run(["acme", "--domain", "https://acme.org"])).rejects.toThrow(/domain "https:\/\/acme.org" is not valid/);
    await expect(run(["acme"])).rejects.toThrow("give at least one --domain");
    expect(() => checkNewSite({ name: "Acme", domains: ["acme.org"], civicrm: false })).toThrow(/site name "Acme"/);
    expect((await loadRepo(dir)).sites).toEqual([]);
  });

  it("refuses a domain another site already serves, writing nothing", async () => {
    await run(["first", "--domain", "shared.org"]);
    await expect(run(["second", "--domain", "shared.org"])).rejects.toThrow(/the new site would be invalid:\nsites\/second.yaml:\d+:\d+: spec.domains\[0\]: "shared.org" is already served by site "first"/);
    expect((await loadRepo(dir)).sites.map((s) => s.name)).toEqual(["first"]);
  });

  it("refuses a domain another site serves whatever the names' order, and leaves that site valid", async () => {
    // "alpha" sorts before "shop": written, it would keep the domain and turn shop invalid.
    expect(await run(["shop", "--domain", "shop.example.org"])).toBe("wrote sites/shop.yaml\n");
    const shop = readFileSync(path.join(dir, "sites/shop.yaml"), "utf8");
    await expect(run(["alpha", "--domain", "www.alpha.org", "--domain", "shop.example.org"])).rejects.toThrow(
      /the new site would make sites\/shop.yaml invalid:\nsites\/shop.yaml:\d+:\d+: spec.domains\[0\]: "shop.example.org" is already served by site "alpha"/,
    );
    expect(existsSync(path.join(dir, "sites/alpha.yaml"))).toBe(false);
    expect(readFileSync(path.join(dir, "sites/shop.yaml"), "utf8")).toBe(shop);
    const after = await loadRepo(dir);
    expect(after.errors).toEqual([]);
    expect(after.sites.map((s) => s.name)).toEqual(["shop"]);
    // And the other order: the later name is the new one's own error.
    await expect(run(["zulu", "--domain", "shop.example.org"])).rejects.toThrow(/the new site would be invalid:\nsites\/zulu.yaml:\d+:\d+: spec.domains\[0\]: "shop.example.org" is already served by site "shop"/);
    expect(existsSync(path.join(dir, "sites/zulu.yaml"))).toBe(false);
    // A domain nobody serves is still fine for a name that sorts first.
    expect(await run(["alpha", "--domain", "alpha.org"])).toBe("wrote sites/alpha.yaml\n");
    expect((await loadRepo(dir)).errors).toEqual([]);
  });

  it("still writes a valid new site into a repository that already has an invalid one", async () => {
    writeFileSync(path.join(dir, "sites/broken.yaml"), "apiVersion: simulium/v1\nkind: Site\nmetadata: {name: broken}\nspec: {domains: [broken.org], web: {replicas: -1}}\n");
    expect(await run(["acme", "--domain", "acme.org"])).toBe("wrote sites/acme.yaml\n");
  });

  it("refuses while simulium.yaml is invalid, writing nothing", async () => {
    writeFileSync(path.join(dir, "simulium.yaml"), "apiVersion: simulium/v1\nkind: Cluster\nspec: {nope: 1}\n");
    await expect(run(["acme", "--domain", "acme.org"])).rejects.toThrow(/simulium.yaml is invalid; fix it first:\nsimulium.yaml:3/);
    expect(existsSync(path.join(dir, "sites/acme.yaml"))).toBe(false);
  });

  it("needs a web image when the cluster has no default", async () => {
    writeFileSync(path.join(dir, "simulium.yaml"), "apiVersion: simulium/v1\nkind: Cluster\nspec:\n  defaults: {database: {image: mariadb:10.11}}\n");
    await expect(run(["acme", "--domain", "acme.org"])).rejects.toThrow(/would be invalid:\n.*spec.web.image/);
    expect(await run(["acme", "--domain", "acme.org", "--image", "registry.example.org/drupal:10"])).toBe("wrote sites/acme.yaml\n");
  });
});
