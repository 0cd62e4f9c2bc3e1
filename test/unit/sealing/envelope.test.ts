import { mkdtempSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { loadFiles } from "../../../controller/manifests/load";
import { generateKeyPair, seal } from "../../../controller/sealing/age";
import { bindValue, openEnvelope, scopeMismatch } from "../../../controller/sealing/envelope";
import { keyFileDecrypter } from "../../../controller/sealing/key-file";
import { identityFileText } from "../../../controller/sealing/seal-input";
import { unsealSites } from "../../../controller/sealing/unseal-sites";

const PLAIN = "relay-Pa55word-bound-to-acme";

const site = (name: string, ciphertext: string): string =>
  [
    "apiVersion: simulium/v1",
    "kind: Site",
    `metadata: {name: ${name}}`,
    "spec:",
    `  domains: [${name}.example.org]`,
    "  web: {image: registry.example.com/drupal:10.3}",
    "  secrets:",
    "    - name: smtp-password",
    `      sealed: "${ciphertext}"`,
    "",
  ].join("\n");

async function decrypter() {
  const key = await generateKeyPair();
  const dir = mkdtempSync(path.join(os.tmpdir(), "simulium-envelope-"));
  writeFileSync(path.join(dir, "key.txt"), identityFileText(key.identity, key.recipient, new Date(0)), { mode: 0o600 });
  return { recipient: key.recipient, decrypt: keyFileDecrypter(path.join(dir, "key.txt")) };
}

describe("sealing: values bound to a site", () => {
  it("opens what it binds (a site's secret or a cluster setting), and leaves an unbound value as it is", () => {
    expect(openEnvelope(bindValue(Buffer.from(PLAIN), { cluster: true, name: "restic-password" }))).toEqual({
      value: Buffer.from(PLAIN),
      scope: { cluster: true, name: "restic-password" },
    });
    const bound = bindValue(Buffer.from(PLAIN), { site: "acme", name: "smtp-password" });
    expect(openEnvelope(bound)).toEqual({ value: Buffer.from(PLAIN), scope: { site: "acme", name: "smtp-password" } });
    expect(openEnvelope(Buffer.from(PLAIN))).toEqual({ value: Buffer.from(PLAIN) });
    // A value that itself has blank lines keeps them: only the first blank line ends the header.
    const multi = Buffer.from("line one\n\nline three");
    expect(openEnvelope(bindValue(multi, { site: "acme", name: "key" })).value).toEqual(multi);
  });

  it("says where a misplaced value belongs and how to seal it for here", () => {
    expect(scopeMismatch(undefined, { site: "acme", name: "smtp-password" })).toBe(
      "is not bound to where it is used (it was sealed without --site or --cluster, so it could be pasted anywhere): seal the value again with simulium seal --site acme --name smtp-password",
    );
    expect(scopeMismatch({ site: "acme", name: "smtp-password" }, { site: "acme", name: "smtp-password" })).toBeUndefined();
    expect(scopeMismatch({ site: "beta", name: "smtp-password" }, { site: "acme", name: "smtp-password" })).toBe(
      "was sealed for site beta's secret smtp-password, not for site acme's secret smtp-password: seal the value again with simulium seal --site acme --name smtp-password",
    );
  });

  it("a ciphertext sealed for one site, pasted into another, invalidates only that other site", async () => {
    const { recipient, decrypt } = await decrypter();
    const forAcme = await seal(bindValue(Buffer.from(PLAIN), { site: "acme", name: "smtp-password" }), recipient);
    const load = loadFiles([
      { path: "sites/acme.yaml", text: site("acme", forAcme) },
      { path: "sites/beta.yaml", text: site("beta", forAcme) },
    ]);
    expect(load.errors).toEqual([]);
    const out = await unsealSites(load, decrypt);
    expect(out.load.sites.map((s) => s.name)).toEqual(["acme"]);
    expect(out.load.invalidSites).toEqual(["beta"]);
    expect(out.load.errors[0]?.message).toMatch(/sealed secret "smtp-password" was sealed for site acme's secret smtp-password, not for site beta's/);
    expect(out.load.errors[0]?.message).not.toContain(PLAIN);
    // The site it was sealed for gets the plain value, without the header.
    expect(out.values.get("acme/smtp-password")?.toString()).toBe(PLAIN);
    expect(out.values.has("beta/smtp-password")).toBe(false);
  });

  it("a value bound to another secret name of the same site is refused too", async () => {
    const { recipient, decrypt } = await decrypter();
    const forApiKey = await seal(bindValue(Buffer.from(PLAIN), { site: "acme", name: "api-key" }), recipient);
    const out = await unsealSites(loadFiles([{ path: "sites/acme.yaml", text: site("acme", forApiKey) }]), decrypt);
    expect(out.load.invalidSites).toEqual(["acme"]);
  });
});
