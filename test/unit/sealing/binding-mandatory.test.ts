import { mkdtempSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { loadFiles } from "../../../controller/manifests/load";
import { resolveCluster } from "../../../controller/manifests/resolve";
import { generateKeyPair, seal } from "../../../controller/sealing/age";
import { bindValue } from "../../../controller/sealing/envelope";
import { keyFileDecrypter } from "../../../controller/sealing/key-file";
import { identityFileText } from "../../../controller/sealing/seal-input";
import { ClusterSealedError, unsealCluster } from "../../../controller/sealing/unseal-cluster";
import { unsealSites } from "../../../controller/sealing/unseal-sites";

/**
 * Hostile manifests: a committer may edit their own site's file, and may paste into it any
 * ciphertext they can read in git (another site's, simulium.yaml's restic password). Every
 * sealed value names where it belongs; nothing unbound or bound elsewhere is decrypted for use.
 */
const RESTIC = "restic-password-of-every-backup";

const site = (name: string, ciphertext: string): string =>
  [
    "apiVersion: simulium/v1", // 1
    "kind: Site", // 2
    `metadata: {name: ${name}}`, // 3
    "spec:", // 4
    `  domains: [${name}.example.org]`, // 5
    "  web: {image: registry.example.com/drupal:10.3}", // 6
    "  secrets:", // 7
    "    - name: loot", // 8
    `      sealed: "${ciphertext}"`, // 9
    "",
  ].join("\n");

const clusterYaml = (password: string, env: string): string =>
  [
    "apiVersion: simulium/v1", // 1
    "kind: Cluster", // 2
    "spec:", // 3
    "  backup:", // 4
    "    image: registry.example.com/simulium-backup:1", // 5
    "    repository: volume", // 6
    `    password: {sealed: "${password}"}`, // 7
    "    env:", // 8
    `      AWS_SECRET_ACCESS_KEY: {sealed: "${env}"}`, // 9
    "",
  ].join("\n");

async function keys() {
  const key = await generateKeyPair();
  const dir = mkdtempSync(path.join(os.tmpdir(), "simulium-binding-"));
  writeFileSync(path.join(dir, "key.txt"), identityFileText(key.identity, key.recipient, new Date(0)), { mode: 0o600 });
  const decrypt = keyFileDecrypter(path.join(dir, "key.txt"));
  return { decrypt, sealFor: (value: string, scope?: Parameters<typeof bindValue>[1]) => seal(scope ? bindValue(Buffer.from(value), scope) : Buffer.from(value), key.recipient) };
}

describe("sealed values in a site must be bound to that site and secret", () => {
  it("refuses an unbound value, naming the file, line, field and the seal command that fixes it", async () => {
    const { decrypt, sealFor } = await keys();
    const out = await unsealSites(loadFiles([{ path: "sites/acme.yaml", text: site("acme", await sealFor(RESTIC)) }]), decrypt);
    expect(out.load.sites).toEqual([]);
    expect(out.load.invalidSites).toEqual(["acme"]);
    expect(out.values.size).toBe(0);
    expect(out.load.errors).toHaveLength(1);
    expect(out.load.errors[0]).toMatchObject({ file: "sites/acme.yaml", line: 9, path: "spec.secrets[0].sealed", site: "acme" });
    expect(out.load.errors[0].message).toContain("simulium seal --site acme --name loot");
    expect(out.load.errors[0].message).not.toContain(RESTIC);
  });

  it("refuses simulium.yaml's cluster-scoped restic password pasted into a site", async () => {
    const { decrypt, sealFor } = await keys();
    const pasted = await sealFor(RESTIC, { cluster: true, name: "restic-password" });
    const out = await unsealSites(loadFiles([{ path: "sites/acme.yaml", text: site("acme", pasted) }]), decrypt);
    expect(out.load.invalidSites).toEqual(["acme"]);
    expect(out.values.size).toBe(0);
    expect(out.load.errors[0].message).toContain("was sealed for the cluster setting restic-password");
    expect(out.load.errors[0].message).toContain("simulium seal --site acme --name loot");
  });

  it("binds spec.mail's password like any secret of the site (name smtp-password)", async () => {
    const { decrypt, sealFor } = await keys();
    const mail = (c: string) =>
      site("acme", "x").replace(/  secrets:[\s\S]*$/, `  mail:\n    host: smtp.example.net\n    user: u\n    password: {sealed: "${c}"}\n    from: noreply@acme.example.org\n`);
    const refused = await unsealSites(loadFiles([{ path: "sites/acme.yaml", text: mail(await sealFor("m4il-pass", { site: "beta", name: "smtp-password" })) }]), decrypt);
    expect(refused.load.errors.map((e) => [e.line, e.path])).toEqual([[10, "spec.mail.password.sealed"]]);
    expect(refused.load.errors[0].message).toContain("simulium seal --site acme --name smtp-password");
    const ok = await unsealSites(loadFiles([{ path: "sites/acme.yaml", text: mail(await sealFor("m4il-pass", { site: "acme", name: "smtp-password" })) }]), decrypt);
    expect(ok.load.errors).toEqual([]);
  });

  it("accepts a value bound to the site and secret", async () => {
    const { decrypt, sealFor } = await keys();
    const out = await unsealSites(loadFiles([{ path: "sites/acme.yaml", text: site("acme", await sealFor("v4lue-for-acme", { site: "acme", name: "loot" })) }]), decrypt);
    expect(out.load.errors).toEqual([]);
    expect(out.values.get("acme/loot")?.toString()).toBe("v4lue-for-acme");
  });
});

describe("sealed values in simulium.yaml must be bound to the cluster scope", () => {
  const load = (text: string) => loadFiles([{ path: "simulium.yaml", text }]);

  it("decrypts cluster-scoped values, by setting name", async () => {
    const { decrypt, sealFor } = await keys();
    const text = clusterYaml(await sealFor(RESTIC, { cluster: true, name: "restic-password" }), await sealFor("aws-s3cret", { cluster: true, name: "AWS_SECRET_ACCESS_KEY" }));
    const l = load(text);
    expect(l.errors).toEqual([]);
    const values = await unsealCluster(l.cluster ?? resolveCluster(undefined), decrypt, text);
    expect(values.get("restic-password")?.toString()).toBe(RESTIC);
    expect(values.get("AWS_SECRET_ACCESS_KEY")?.toString()).toBe("aws-s3cret");
  });

  it("refuses an unbound restic password and a site-bound env value, each at its line, naming the seal command", async () => {
    const { decrypt, sealFor } = await keys();
    const text = clusterYaml(await sealFor(RESTIC), await sealFor("aws-s3cret", { site: "acme", name: "AWS_SECRET_ACCESS_KEY" }));
    const l = load(text);
    expect(l.errors).toEqual([]);
    const err = await unsealCluster(l.cluster ?? resolveCluster(undefined), decrypt, text).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ClusterSealedError);
    const problems = (err as ClusterSealedError).errors;
    expect(problems.map((p) => [p.file, p.line, p.path])).toEqual([
      ["simulium.yaml", 7, "spec.backup.password.sealed"],
      ["simulium.yaml", 9, "spec.backup.env.AWS_SECRET_ACCESS_KEY.sealed"],
    ]);
    expect(problems[0].message).toContain("simulium seal --cluster --name restic-password");
    expect(problems[1].message).toContain("was sealed for site acme's secret AWS_SECRET_ACCESS_KEY");
    expect(problems[1].message).toContain("simulium seal --cluster --name AWS_SECRET_ACCESS_KEY");
    expect((err as Error).message).toContain("simulium.yaml:7");
    expect((err as Error).message).not.toContain(RESTIC);
  });
});
