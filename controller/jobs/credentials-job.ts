import { names, PMA_PASSWORD } from "../desired/names";
import type { ResourceSpec, ServiceSpec } from "../desired/types";

/** The access services whose credentials `simulium credentials` prints. */
export const CREDENTIAL_KINDS = ["phpmyadmin"] as const;
export type CredentialKind = (typeof CREDENTIAL_KINDS)[number];

/**
 * The one-off job that reads phpMyAdmin's basic-auth password (jobs/read-secret-job.ts): the
 * site's phpMyAdmin image with that secret only, on the site's network only, no volumes. Built from the rendered service, so
 * the secret is the version the swarm has. Pure; undefined when the site has no phpMyAdmin.
 */
export function credentialsJobSpec(site: string, rendered: readonly ResourceSpec[]): { readonly spec: ServiceSpec; readonly user: string } | undefined {
  const pma = rendered.find((r): r is ServiceSpec => r.kind === "service" && r.role === "phpmyadmin" && r.site === site);
  const user = pma?.shape.env.PMA_AUTH_USER;
  if (pma === undefined || user === undefined) return undefined;
  const spec: ServiceSpec = {
    ...pma,
    shape: {
      ...pma.shape,
      env: {},
      mounts: [],
      secrets: pma.shape.secrets.filter((s) => s.target === PMA_PASSWORD),
      networks: [names.siteNetwork(site)],
      ports: [],
    },
  };
  return { spec, user };
}

/** What `credentials` prints for people: one field a line. */
export function formatCredentials(service: string, user: string, password: string): string {
  return `service:  ${service}\nuser:     ${user}\npassword: ${password}\n`;
}
