import { MAIL_SECRETS } from "../manifests/mail";
import type { ResolvedMail } from "../manifests/types";

/** Where Swarm mounts the web service's secrets. */
const SECRETS_DIR = "/run/secrets";

/**
 * The environment contract for image authors (docs/operations.md, "Mail settings"): where the SMTP relay and the
 * bounce mailbox are, passwords only as file paths. Pure.
 */
export function mailEnv(mail: ResolvedMail | undefined): Record<string, string> {
  if (mail === undefined) return {};
  const env: Record<string, string> = {
    SMTP_HOST: mail.host,
    SMTP_PORT: String(mail.port),
    SMTP_USER: mail.user,
    SMTP_FROM: mail.from,
    SMTP_PASSWORD_FILE: `${SECRETS_DIR}/${MAIL_SECRETS.smtp}`,
  };
  const rp = mail.returnPath;
  if (rp) {
    Object.assign(env, {
      BOUNCE_HOST: rp.host,
      BOUNCE_PORT: String(rp.port),
      BOUNCE_USER: rp.user,
      BOUNCE_MAILBOX: rp.mailbox,
      BOUNCE_PASSWORD_FILE: `${SECRETS_DIR}/${MAIL_SECRETS.bounce}`,
    });
  }
  return env;
}
