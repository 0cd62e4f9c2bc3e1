import { DB_PASSWORD, names, PMA_PASSWORD } from "../desired/names";
import type { ResourceSpec, ServiceSpec } from "../desired/types";

/** What `simulium credentials` prints: phpMyAdmin's basic auth, or the site's database user. */
export const CREDENTIAL_KINDS = ["phpmyadmin", "database"] as const;
export type CredentialKind = (typeof CREDENTIAL_KINDS)[number];

export interface CredentialsJob {
  /** The job's service: one secret mounted, on the site's network only, no volumes or environment. */
  readonly spec: ServiceSpec;
  readonly user: string;
  /** The secret's file name under /run/secrets. */
  readonly target: string;
  /** The service the credentials are for, as printed. */
  readonly service: string;
}

/**
 * The one-off job that reads a generated password (jobs/read-secret-job.ts): phpMyAdmin's
 * basic-auth password in the phpMyAdmin image, or the database user's password in the web
 * image, with that secret only. Built from the rendered service, so the secret is the version
 * the swarm has. Pure; undefined when the site has no such service.
 */
export function credentialsJobSpec(site: string, rendered: readonly ResourceSpec[], kind: CredentialKind = "phpmyadmin"): CredentialsJob | undefined {
  const role = kind === "phpmyadmin" ? "phpmyadmin" : "web";
  const from = rendered.find((r): r is ServiceSpec => r.kind === "service" && r.role === role && r.site === site);
  const user = kind === "phpmyadmin" ? from?.shape.env.PMA_AUTH_USER : from?.shape.env.DB_USER;
  const target = kind === "phpmyadmin" ? PMA_PASSWORD : DB_PASSWORD;
  if (from === undefined || user === undefined || !from.shape.secrets.some((s) => s.target === target)) return undefined;
  const spec: ServiceSpec = {
    ...from,
    shape: {
      ...from.shape,
      env: {},
      mounts: [],
      secrets: from.shape.secrets.filter((s) => s.target === target),
      networks: [names.siteNetwork(site)],
      ports: [],
    },
  };
  return { spec, user, target, service: names.service(site, kind === "phpmyadmin" ? "phpmyadmin" : "db") };
}

/** What `credentials` prints for people: one field a line. */
export function formatCredentials(service: string, user: string, password: string): string {
  return `service:  ${service}\nuser:     ${user}\npassword: ${password}\n`;
}
