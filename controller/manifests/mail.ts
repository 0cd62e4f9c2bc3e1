import { SITE_DEFAULTS } from "./defaults";
import type { ResolvedMail, ResolvedSecret, Site } from "./types";

/**
 * The secrets `spec.mail` gives a site. Reserved names: a site with `spec.mail` cannot
 * declare them in `spec.secrets` (site-rules.ts).
 */
export const MAIL_SECRETS = { smtp: "smtp-password", bounce: "bounce-password" } as const;

type MailInput = NonNullable<Site["spec"]["mail"]>;

/** `spec.mail` with its defaults, and its passwords as sealed secrets of the site. Pure. */
export function resolveMail(mail: MailInput): { readonly mail: ResolvedMail; readonly secrets: readonly ResolvedSecret[] } {
  const d = SITE_DEFAULTS.mail;
  const rp = mail.returnPath;
  const resolved: ResolvedMail = {
    host: mail.host,
    port: mail.port ?? d.port,
    user: mail.user,
    from: mail.from,
    ...(rp ? { returnPath: { host: rp.host, port: rp.port ?? d.returnPathPort, user: rp.user, mailbox: rp.mailbox } } : {}),
  };
  const secrets: ResolvedSecret[] = [sealedSecret(MAIL_SECRETS.smtp, mail.password.sealed, ["spec", "mail", "password", "sealed"])];
  if (rp) secrets.push(sealedSecret(MAIL_SECRETS.bounce, rp.password.sealed, ["spec", "mail", "returnPath", "password", "sealed"]));
  return { mail: resolved, secrets };
}

function sealedSecret(name: string, ciphertext: string, path: readonly string[]): ResolvedSecret {
  // index -1: not an entry of spec.secrets; `path` locates it instead.
  return { name, sealed: { ciphertext, index: -1, path, line: 0, column: 0 } };
}
