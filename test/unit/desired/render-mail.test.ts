import type { ResolvedSite } from "../../../controller/manifests/types";
import { desiredOf, site } from "../../fixtures/core/builders";
import { find } from "./helpers";

const sealed = (name: string, ciphertext: string, path: string[]): ResolvedSite["secrets"][number] => ({
  name,
  sealed: { ciphertext, index: -1, path, line: 0, column: 0 },
});

const withMail = (): ResolvedSite =>
  site({
    mail: {
      host: "smtp.example.net",
      port: 587,
      user: "acme@example.net",
      from: "noreply@acme.example.org",
      returnPath: { host: "imap.example.net", port: 993, user: "bounces", mailbox: "return@acme.example.org" },
    },
    secrets: [
      { name: "hash-salt", generate: { length: 48, rotation: 0 } },
      sealed("smtp-password", "YWdlLWVuY3J5cHRpb24ub3JnL3YxCnNtdHA=", ["spec", "mail", "password", "sealed"]),
      sealed("bounce-password", "YWdlLWVuY3J5cHRpb24ub3JnL3YxCmJvdW5jZQ==", ["spec", "mail", "returnPath", "password", "sealed"]),
    ],
  });

describe("render: spec.mail", () => {
  const web = find(desiredOf([withMail()]), "service", "acme_web");

  it("hands the relay and the bounce mailbox to the web service, passwords as file paths", () => {
    expect(web.shape.env).toMatchObject({
      SMTP_HOST: "smtp.example.net",
      SMTP_PORT: "587",
      SMTP_USER: "acme@example.net",
      SMTP_FROM: "noreply@acme.example.org",
      SMTP_PASSWORD_FILE: "/run/secrets/smtp-password",
      BOUNCE_HOST: "imap.example.net",
      BOUNCE_PORT: "993",
      BOUNCE_USER: "bounces",
      BOUNCE_MAILBOX: "return@acme.example.org",
      BOUNCE_PASSWORD_FILE: "/run/secrets/bounce-password",
    });
  });

  it("mounts both passwords as secrets of the site at the paths the environment names", () => {
    const targets = web.shape.secrets.map((s) => s.target);
    expect(targets).toEqual(expect.arrayContaining(["smtp-password", "bounce-password"]));
    for (const logical of ["smtp-password", "bounce-password"]) {
      const mounted = web.shape.secrets.find((s) => s.target === logical);
      expect(mounted?.secretName).toMatch(new RegExp(`^acme_${logical}-[0-9a-f]{10}$`));
      expect(find(desiredOf([withMail()]), "secret", mounted?.secretName ?? "").source).toEqual({ sealed: true });
    }
  });

  it("lets the mail settings win over a manifest env of the same name", () => {
    const s = withMail();
    const w = find(desiredOf([{ ...s, web: { ...s.web, env: { SMTP_HOST: "elsewhere" } } }]), "service", "acme_web");
    expect(w.shape.env.SMTP_HOST).toBe("smtp.example.net");
  });

  it("sets no SMTP_ or BOUNCE_ variable on a site without mail, and only SMTP_ without a return path", () => {
    const plain = find(desiredOf([site()]), "service", "acme_web");
    expect(Object.keys(plain.shape.env).filter((k) => /^(SMTP|BOUNCE)_/.test(k))).toEqual([]);
    const s = withMail();
    const { returnPath: _dropped, ...smtpOnly } = s.mail ?? { host: "", port: 0, user: "", from: "" };
    const w = find(desiredOf([{ ...s, mail: smtpOnly, secrets: s.secrets.filter((x) => x.name !== "bounce-password") }]), "service", "acme_web");
    expect(Object.keys(w.shape.env).filter((k) => /^(SMTP|BOUNCE)_/.test(k)).sort()).toEqual([
      "SMTP_FROM",
      "SMTP_HOST",
      "SMTP_PASSWORD_FILE",
      "SMTP_PORT",
      "SMTP_USER",
    ]);
  });
});
