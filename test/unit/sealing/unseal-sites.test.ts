import { mkdtempSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { renderDesired } from "../../../controller/desired/render";
import type { SecretSpec } from "../../../controller/desired/types";
import { loadFiles } from "../../../controller/manifests/load";
import { generateKeyPair, seal, unseal, UnsealError } from "../../../controller/sealing/age";
import { bindValue } from "../../../controller/sealing/envelope";
import { keyFileDecrypter } from "../../../controller/sealing/key-file";
import { sealedLookup } from "../../../controller/sealing/lookup";
import { identityFileText } from "../../../controller/sealing/seal-input";
import { unsealSites } from "../../../controller/sealing/unseal-sites";

const PLAIN = "smtp-Pa55word-that-must-stay-secret";

function siteWithSealed(name: string, ciphertext: string): string {
  return [
    "apiVersion: simulium/v1", // 1
    "kind: Site", // 2
    `metadata: {name: ${name}}`, // 3
    "spec:", // 4
    `  domains: [${name}.example.org]`, // 5
    "  web: {image: registry.example.com/drupal:10.3}", // 6
    "  secrets:", // 7
    "    - name: api-key", // 8
    "      generate: {length: 24}", // 9
    "    - name: smtp-password", // 10
    `      sealed: "${ciphertext}"`, // 11
    "",
  ].join("\n");
}

function keyFile(identity: string, recipient: string): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), "simulium-key-"));
  const file = path.join(dir, "key.txt");
  writeFileSync(file, identityFileText(identity, recipient, new Date(0)), { mode: 0o600 });
  return file;
}

describe("sealing: age round trip", () => {
  it("decrypts what it sealed, only with the matching identity", async () => {
    const key = await generateKeyPair();
    const other = await generateKeyPair();
    const ciphertext = await seal(Buffer.from(PLAIN), key.recipient);
    expect(ciphertext).toMatch(/^YWdlLWVuY3J5cHRpb24ub3JnL3Yx[A-Za-z0-9+/]+={0,2}$/);
    expect(ciphertext).not.toContain(Buffer.from(PLAIN).toString("base64"));
    expect((await unseal(ciphertext, key.identity)).toString()).toBe(PLAIN);
    await expect(unseal(ciphertext, other.identity)).rejects.toBeInstanceOf(UnsealError);
  });

  it("seals the same value differently each time (a re-seal is a new ciphertext)", async () => {
    const key = await generateKeyPair();
    expect(await seal(Buffer.from(PLAIN), key.recipient)).not.toBe(await seal(Buffer.from(PLAIN), key.recipient));
  });
});

describe("sealing: sites with sealed secrets", () => {
  it("decrypts a site's sealed secret into the lookup apply uses, keyed by its Swarm name", async () => {
    const key = await generateKeyPair();
    const ciphertext = await seal(bindValue(Buffer.from(PLAIN), { site: "acme", name: "smtp-password" }), key.recipient);
    const load = loadFiles([{ path: "sites/acme.yaml", text: siteWithSealed("acme", ciphertext) }]);
    expect(load.errors).toEqual([]);
    const out = await unsealSites(load, keyFileDecrypter(keyFile(key.identity, key.recipient)));
    expect(out.load).toBe(load);
    const desired = renderDesired({ sites: out.load.sites, cluster: load.cluster! });
    const secret = desired.resources.find((r): r is SecretSpec => r.kind === "secret" && r.logicalName === "smtp-password");
    expect(secret?.source).toEqual({ sealed: true });
    expect(sealedLookup(desired, out.values)(secret!.name)?.toString()).toBe(PLAIN);
    // Nothing printable about the desired state holds the value.
    expect(JSON.stringify(desired)).not.toContain(PLAIN);
  });

  it("a value that does not decrypt makes that site alone invalid, located at its sealed field", async () => {
    const key = await generateKeyPair();
    const stranger = await generateKeyPair();
    const foreign = await seal(Buffer.from(PLAIN), stranger.recipient);
    const load = loadFiles([
      { path: "sites/acme.yaml", text: siteWithSealed("acme", foreign) },
      { path: "sites/beta.yaml", text: siteWithSealed("beta", await seal(bindValue(Buffer.from("fine"), { site: "beta", name: "smtp-password" }), key.recipient)) },
    ]);
    const out = await unsealSites(load, keyFileDecrypter(keyFile(key.identity, key.recipient)));
    expect(out.load.sites.map((s) => s.name)).toEqual(["beta"]);
    expect(out.load.invalidSites).toEqual(["acme"]);
    expect(out.load.errors).toHaveLength(1);
    const e = out.load.errors[0]!;
    expect({ file: e.file, line: e.line, column: e.column, path: e.path, site: e.site }).toEqual({
      file: "sites/acme.yaml",
      line: 11,
      column: 15,
      path: "spec.secrets[1].sealed",
      site: "acme",
    });
    expect(e.message).toMatch(/sealed secret "smtp-password" cannot be decrypted/);
    expect(e.message).toContain("seal the value again with simulium seal --site acme --name smtp-password");
    expect(e.message).not.toContain(PLAIN);
    expect([...out.values.keys()]).toEqual(["beta/smtp-password"]);
    // Frozen, like any invalid site: the desired state leaves its objects as they run.
    expect(renderDesired({ sites: out.load.sites, cluster: load.cluster!, invalidSites: out.load.invalidSites }).frozenSites).toEqual(["acme"]);
  });

  it("without a key, sites with sealed values are invalid and the others are untouched", async () => {
    const key = await generateKeyPair();
    const plain = siteWithSealed("beta", "x").replace(/    - name: smtp-password\n.*\n/, "");
    const load = loadFiles([
      { path: "sites/acme.yaml", text: siteWithSealed("acme", await seal(Buffer.from(PLAIN), key.recipient)) },
      { path: "sites/beta.yaml", text: plain },
    ]);
    const out = await unsealSites(load, keyFileDecrypter(undefined));
    expect(out.load.invalidSites).toEqual(["acme"]);
    expect(out.load.sites.map((s) => s.name)).toEqual(["beta"]);
    expect(out.load.errors[0]?.message).toMatch(/no sealing key: pass --sealing-key-file or set SIMULIUM_SEALING_KEY_FILE/);
  });

  it("an unreadable key file is reported on the sealed values, never its content", async () => {
    const key = await generateKeyPair();
    const load = loadFiles([{ path: "sites/acme.yaml", text: siteWithSealed("acme", await seal(Buffer.from(PLAIN), key.recipient)) }]);
    const out = await unsealSites(load, keyFileDecrypter("/nonexistent/key.txt"));
    expect(out.load.errors[0]?.message).toMatch(/the sealing key file \/nonexistent\/key.txt cannot be read \(ENOENT\)/);
  });

  it("the Swarm name follows the ciphertext: re-sealing rotates the secret", async () => {
    const key = await generateKeyPair();
    const nameWith = async (ciphertext: string): Promise<string> => {
      const load = loadFiles([{ path: "sites/acme.yaml", text: siteWithSealed("acme", ciphertext) }]);
      const d = renderDesired({ sites: load.sites, cluster: load.cluster! });
      return d.resources.find((r) => r.kind === "secret" && r.logicalName === "smtp-password")!.name;
    };
    const a = await seal(Buffer.from(PLAIN), key.recipient);
    const b = await seal(Buffer.from(PLAIN), key.recipient);
    expect(await nameWith(a)).toBe(await nameWith(a));
    expect(await nameWith(a)).not.toBe(await nameWith(b));
    expect(await nameWith(a)).toMatch(/^acme_smtp-password-[0-9a-f]{10}$/);
  });
});

describe("sealing: manifest rules", () => {
  it("requires exactly one of generate and sealed", () => {
    const both = siteWithSealed("acme", "YWdlLWVuY3J5cHRpb24ub3JnL3Yx").replace("    - name: smtp-password\n", "    - name: smtp-password\n      generate: {}\n");
    const neither = siteWithSealed("acme", "YWdlLWVuY3J5cHRpb24ub3JnL3Yx").replace(/      sealed: .*\n/, "");
    for (const text of [both, neither]) {
      const r = loadFiles([{ path: "sites/acme.yaml", text }]);
      expect(r.invalidSites).toEqual(["acme"]);
      expect(r.errors.map((e) => e.path)).toEqual(["spec.secrets[1]"]);
      expect(r.errors[0]?.message).toMatch(/needs exactly one of "generate" .* or "sealed"/);
    }
  });

  it("refuses a plain value pasted where a sealed one belongs", () => {
    const r = loadFiles([{ path: "sites/acme.yaml", text: siteWithSealed("acme", "hunter2") }]);
    expect(r.invalidSites).toEqual(["acme"]);
    expect(r.errors[0]?.path).toBe("spec.secrets[1].sealed");
  });

  it("validates the cluster's public key", () => {
    const cluster = (key: string) => `apiVersion: simulium/v1\nkind: Cluster\nspec:\n  sealing: {publicKey: ${key}}\n`;
    const ok = loadFiles([{ path: "simulium.yaml", text: cluster("age1yn37e34nsskfkfvs524cgalzhmmgcaw34dzhg9zu3f520mt0hcfqcud2eh") }]);
    expect(ok.errors).toEqual([]);
    expect(ok.cluster?.sealing).toEqual({ publicKey: "age1yn37e34nsskfkfvs524cgalzhmmgcaw34dzhg9zu3f520mt0hcfqcud2eh" });
    const bad = loadFiles([{ path: "simulium.yaml", text: cluster("AGE-SECRET-KEY-1ABC") }]);
    expect(bad.cluster).toBeUndefined();
    expect(bad.errors[0]?.path).toBe("spec.sealing.publicKey");
  });
});
