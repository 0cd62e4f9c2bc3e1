import { mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync, mkdirSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { parse } from "yaml";
import { cli } from "../../support/cli";
import { writeFiles } from "../../support/repo";

const KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOXl dev@laptop";
const cluster = "apiVersion: simulium/v1\nkind: Cluster\nspec:\n  instance: prod\n  defaults:\n    web: {image: \"registry.example.com/drupal:10.3\"}\n    ssh: {image: \"registry.example.com/acme-dev:10.3\"}\n";
const site = (name: string, extra = "", web = "  web: {}\n") => `apiVersion: simulium/v1\nkind: Site\nmetadata: {name: ${name}}\nspec:\n  domains: [${name}.example.org]\n${web}${extra}`;
const withSsh = (port: number) => `  access:\n    ssh:\n      port: ${port}\n      keys: ["${KEY}"]\n`;

let repo: string;
let out: string;

beforeEach(() => {
  repo = mkdtempSync(path.join(os.tmpdir(), "simulium-drush-repo-"));
  out = mkdtempSync(path.join(os.tmpdir(), "simulium-drush-out-"));
  writeFiles(repo, {
    "simulium.yaml": cluster,
    "sites/acme.yaml": site("acme", withSsh(2222)),
    "sites/beta.yaml": site("beta", withSsh(2223)),
    "sites/plain.yaml": site("plain"),
    "sites/broken.yaml": site("broken", "", "  web: {replicas: lots}\n"),
  });
});

afterEach(() => {
  rmSync(repo, { recursive: true, force: true });
  rmSync(out, { recursive: true, force: true });
  delete process.env.SIMULIUM_SSH_HOST;
});

const aliasOf = (site: string) => parse(readFileSync(path.join(out, "drush", "sites", `${site}.site.yml`), "utf8")) as { prod: Record<string, unknown> };

test("writes one alias file per site with SSH access, and lists the others with the reason", async () => {
  const r = await cli("drush-aliases", "--repo", repo, "--out", out, "--host", "node1.example.org", "--scheme", "https");
  expect(r.code).toBe(0);
  expect(aliasOf("acme").prod).toEqual({
    host: "node1.example.org",
    user: "site",
    root: "/var/www/html",
    uri: "https://acme.example.org",
    ssh: { options: "-p 2222 -o StrictHostKeyChecking=yes -o PasswordAuthentication=no" },
  });
  expect(aliasOf("beta").prod.ssh).toEqual({ options: "-p 2223 -o StrictHostKeyChecking=yes -o PasswordAuthentication=no" });
  expect(existsSync(path.join(out, "drush", "sites", "plain.site.yml"))).toBe(false);
  expect(r.out.split("\n")).toEqual([
    `wrote ${out}/drush/sites/acme.site.yml: drush @acme.prod`,
    `wrote ${out}/drush/sites/beta.site.yml: drush @beta.prod`,
    "skipped broken: invalid manifest (simulium validate shows why)",
    "skipped plain: no SSH access: add spec.access.ssh to sites/plain.yaml (or it has enabled: false)",
    "",
  ]);
});

test("--site limits the files; the host comes from SIMULIUM_SSH_HOST; --json says what was written", async () => {
  process.env.SIMULIUM_SSH_HOST = "10.0.0.7";
  const r = await cli("drush-aliases", "--repo", repo, "--out", out, "--site", "beta", "--json");
  expect(JSON.parse(r.out)).toEqual({ written: [{ site: "beta", path: path.join(out, "drush/sites/beta.site.yml") }], skipped: [] });
  expect(aliasOf("beta").prod).toMatchObject({ host: "10.0.0.7", uri: "http://beta.example.org" });
  expect(existsSync(path.join(out, "drush", "sites", "acme.site.yml"))).toBe(false);
});

test("without a host, or for an unknown site, it says why and writes nothing", async () => {
  await expect(cli("drush-aliases", "--repo", repo, "--out", out)).rejects.toThrow("--host is required (or set SIMULIUM_SSH_HOST)");
  await expect(cli("drush-aliases", "--repo", repo, "--out", out, "--host", "n1", "--site", "nope")).rejects.toThrow(`site nope has no manifest in ${repo}/sites`);
  expect(existsSync(path.join(out, "drush"))).toBe(false);
});

test("a second run replaces its own files; a file it did not write is kept unless --force", async () => {
  await cli("drush-aliases", "--repo", repo, "--out", out, "--host", "node1.example.org");
  await cli("drush-aliases", "--repo", repo, "--out", out, "--host", "node2.example.org");
  expect(aliasOf("acme").prod.host).toBe("node2.example.org");

  const own = path.join(out, "drush", "sites", "beta.site.yml");
  mkdirSync(path.dirname(own), { recursive: true });
  writeFileSync(own, "prod:\n  host: hand-made.example.org\n");
  await expect(cli("drush-aliases", "--repo", repo, "--out", out, "--host", "node3.example.org")).rejects.toThrow(`not replacing alias files simulium did not write (pass --force to replace them): ${own}`);
  expect(readFileSync(own, "utf8")).toBe("prod:\n  host: hand-made.example.org\n");
  // Nothing was written: not even the file that was simulium's own.
  expect(aliasOf("acme").prod.host).toBe("node2.example.org");

  await cli("drush-aliases", "--repo", repo, "--out", out, "--host", "node3.example.org", "--force");
  expect(aliasOf("beta").prod.host).toBe("node3.example.org");
});
