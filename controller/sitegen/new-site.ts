import { createHash } from "node:crypto";
import siteSchema from "../../schemas/site.schema.json";

export interface NewSiteInput {
  readonly name: string;
  readonly domains: readonly string[];
  readonly civicrm: boolean;
  /** Written only when given: otherwise simulium.yaml's spec.defaults.web.image applies. */
  readonly image?: string;
}

/** The argument of `simulium new` that is wrong, and why. */
export class NewSiteError extends Error {}

const SITE_NAME = new RegExp(siteSchema.properties.metadata.properties.name.pattern);
const DOMAIN = new RegExp(siteSchema.$defs.domain.pattern);

/** Drupal's public files; /var/www/html is the docroot (the official image links it to /opt/drupal/web). */
export const FILES_PATH = "/var/www/html/sites/default/files";

/** Refuses a name or domain the schema would refuse, before the name becomes a file path. */
export function checkNewSite(input: NewSiteInput): void {
  if (!SITE_NAME.test(input.name)) {
    throw new NewSiteError(`site name ${JSON.stringify(input.name)} is not valid: lower-case letters, digits and '-', starting with a letter, at most 40 characters`);
  }
  if (input.domains.length === 0) throw new NewSiteError("give at least one --domain");
  for (const d of input.domains) {
    if (!DOMAIN.test(d)) {
      throw new NewSiteError(`domain ${JSON.stringify(d)} is not valid: a lower-case DNS name without scheme, port, trailing dot or wildcard, e.g. www.example.org`);
    }
  }
}

/**
 * A complete, commented site manifest. Pure. Schedules are spread by a hash of the name
 * (the same site always gets the same minute) so a hundred new sites do not all run cron
 * and backups at the same instant.
 */
export function renderNewSite(input: NewSiteInput): string {
  checkNewSite(input);
  const minute = spread(input.name, 60);
  const lines = [
    `# Site ${input.name}, made by \`simulium new\`. Every field: docs/manifest.md in the simulium repository.`,
    "apiVersion: simulium/v1",
    "kind: Site",
    "metadata:",
    `  name: ${input.name}`,
    "spec:",
    "  # Routed to this site by the shared Varnish; a domain belongs to one site only.",
    "  domains:",
    ...input.domains.map((d) => `    - ${d}`),
    "  web:",
    input.image !== undefined
      ? `    image: "${input.image}"`
      : "    # image, replicas, port and resources: simulium.yaml spec.defaults.web unless set here.",
    "    env: {}",
    "  # MariaDB private to the site. The web tier gets DB_HOST, DB_PORT, DB_NAME, DB_USER and",
    "  # DB_PASSWORD_FILE; both passwords are generated secrets.",
    "  database:",
    "    name: drupal",
    "    user: drupal",
    "  volumes:",
    "    # Drupal's public files (uploads), kept across deploys and image updates.",
    "    - name: files",
    `      mountPath: ${FILES_PATH}`,
    "  # Values the site needs: `generate` makes a random one, `sealed` holds one from `simulium seal`.",
    "  secrets:",
    "    - name: hash-salt",
    "      generate: {length: 64}",
    "  # Run as Swarm jobs in the web image, in simulium.yaml's time zone.",
    "  cron:",
    "    - name: drupal",
    `      schedule: "${minute} * * * *"`,
    "      command: [drush, cron]",
  ];
  if (input.civicrm) {
    lines.push(
      "    # CiviCRM's scheduled jobs (mailings, reminders, ...).",
      "    - name: civicrm-jobs",
      `      schedule: "${[0, 15, 30, 45].map((m) => m + (minute % 15)).join(",")} * * * *"`,
      "      command: [cv, api3, job.execute]",
    );
  }
  lines.push(
    "  # Database and files, kept for `keep` days.",
    "  backup:",
    `    schedule: "${minute} ${1 + spread(`${input.name}/backup`, 4)} * * *"`,
    "    keep: 7",
    "",
  );
  return lines.join("\n");
}

function spread(key: string, n: number): number {
  return createHash("sha256").update(key).digest().readUInt32BE(0) % n;
}
