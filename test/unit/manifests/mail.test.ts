import { bindValue } from "../../../controller/sealing/envelope";
import { unsealSites } from "../../../controller/sealing/unseal-sites";
import { UnsealError } from "../../../controller/sealing/age";
import { loadSite, siteYaml } from "./helpers";

// Shaped like `simulium seal` output (the schema checks the age header); never decrypted here.
const SMTP_SEALED = "YWdlLWVuY3J5cHRpb24ub3JnL3YxCnNtdHA=";
const BOUNCE_SEALED = "YWdlLWVuY3J5cHRpb24ub3JnL3YxCmJvdW5jZQ==";

const mailYaml = (extra = "") =>
  `${siteYaml()}  mail:\n    host: smtp.example.net\n    user: acme@example.net\n    password: {sealed: "${SMTP_SEALED}"}\n    from: noreply@acme.example.org\n${extra}`;
const returnPath = `    returnPath:\n      host: imap.example.net\n      user: bounces\n      password: {sealed: "${BOUNCE_SEALED}"}\n      mailbox: return@acme.example.org\n`;

describe("spec.mail", () => {
  it("resolves with the default ports and makes each password a sealed secret of the site, located at its field", () => {
    const r = loadSite("acme", mailYaml(returnPath));
    expect(r.errors).toEqual([]);
    const site = r.sites[0];
    expect(site?.mail).toEqual({
      host: "smtp.example.net",
      port: 587,
      user: "acme@example.net",
      from: "noreply@acme.example.org",
      returnPath: { host: "imap.example.net", port: 993, user: "bounces", mailbox: "return@acme.example.org" },
    });
    expect(site?.secrets).toEqual([
      { name: "smtp-password", sealed: { ciphertext: SMTP_SEALED, index: -1, path: ["spec", "mail", "password", "sealed"], line: 13, column: 24 } },
      { name: "bounce-password", sealed: { ciphertext: BOUNCE_SEALED, index: -1, path: ["spec", "mail", "returnPath", "password", "sealed"], line: 18, column: 26 } },
    ]);
  });

  it("keeps a port the site sets, and has no bounce secret without a return path", () => {
    const r = loadSite("acme", mailYaml().replace("    host: smtp.example.net\n", "    host: smtp.example.net\n    port: 465\n"));
    expect(r.sites[0]?.mail).toEqual({ host: "smtp.example.net", port: 465, user: "acme@example.net", from: "noreply@acme.example.org" });
    expect(r.sites[0]?.secrets.map((s) => s.name)).toEqual(["smtp-password"]);
  });

  it("refuses a clear-text password", () => {
    const r = loadSite("acme", mailYaml().replace(`password: {sealed: "${SMTP_SEALED}"}`, "password: hunter22"));
    expect(r.sites).toEqual([]);
    expect(r.errors.map((e) => [e.path, e.line])).toEqual([["spec.mail.password", 13]]);
    // The error must not copy the pasted password into CI logs.
    expect(r.errors[0].message).toBe("must be a mapping, not the value given (not shown: this field holds a secret)");
    expect(JSON.stringify(r.errors)).not.toContain("hunter22");
  });

  it("does not echo a wrongly shaped sealed value either", () => {
    const r = loadSite("acme", mailYaml().replace(`{sealed: "${SMTP_SEALED}"}`, '{sealed: "hunter22-not-age"}'));
    expect(r.errors.map((e) => e.path)).toEqual(["spec.mail.password.sealed"]);
    expect(JSON.stringify(r.errors)).not.toContain("hunter22");
  });

  it("refuses a sender that is not a plain address", () => {
    const r = loadSite("acme", mailYaml().replace("from: noreply@acme.example.org", 'from: "Acme <noreply@acme.example.org>"'));
    expect(r.errors.map((e) => e.path)).toEqual(["spec.mail.from"]);
  });

  it("reserves the mail secret names in spec.secrets of a site with spec.mail", () => {
    const text = `${mailYaml(returnPath)}  secrets:\n    - {name: bounce-password, generate: {}}\n`;
    const r = loadSite("acme", text);
    expect(r.errors.map((e) => [e.path, e.message])).toEqual([
      ["spec.secrets[0].name", '"bounce-password" is reserved for a spec.mail password, which spec.mail itself makes a secret of this site: choose another name'],
    ]);
  });

  it("leaves those names free to a site without spec.mail", () => {
    expect(loadSite("acme", `${siteYaml()}  secrets:\n    - {name: smtp-password, sealed: "${SMTP_SEALED}"}\n`).errors).toEqual([]);
  });

  it("reports a mail password that does not decrypt at its own field", async () => {
    const load = loadSite("acme", mailYaml(returnPath));
    const out = await unsealSites(load, async (c) => {
      if (c === BOUNCE_SEALED) throw new UnsealError("no identity matched");
      return bindValue(Buffer.from("plain"), { site: "acme", name: "smtp-password" });
    });
    expect(out.load.invalidSites).toEqual(["acme"]);
    expect(out.load.errors.map((e) => [e.line, e.path])).toEqual([[18, "spec.mail.returnPath.password.sealed"]]);
  });

  it("fails validation when the site name makes the mail secret names too long", () => {
    const name = `a${"b".repeat(39)}`;
    const r = loadSite(name, mailYaml().replace("name: acme", `name: ${name}`));
    expect(r.errors.map((e) => e.path)).toEqual(["spec.mail"]);
    expect(r.errors[0]?.message).toContain(`"${name}_smtp-password-<hash>"`);
  });
});
