/**
 * The lengths of the Swarm object names a site renders (ARCHITECTURE.md: `S_web`, `S_db`,
 * `S_default`, `S_<volume>`, `S_db-data`, `S_<secret>-<hash>`), checked against what the
 * engine accepts so an over-long name fails validation instead of a deploy.
 */

/** Swarm service names are DNS labels. */
export const MAX_SERVICE_NAME = 63;
/** swarmkit refuses secret names over 64 characters. */
export const MAX_SECRET_NAME = 64;
/**
 * The engine itself takes longer volume names; holding them to the secret limit keeps one
 * rule for every object and stays within what volume plugins that map names to external
 * resources accept.
 */
export const MAX_VOLUME_NAME = 64;
/** Secrets are versioned by a content hash suffix: `<site>_<name>-<10 hex>`. */
export const SECRET_HASH_LENGTH = 10;

/** Secrets generated for every site with a database (declaring them only tunes them). */
export const DATABASE_SECRETS = ["db-password", "db-root-password"] as const;
/** The volume holding a site's database files. */
export const DATABASE_VOLUME = "db-data";

export function secretNameLength(site: string, secret: string): number {
  return `${site}_${secret}-`.length + SECRET_HASH_LENGTH;
}

export function volumeName(site: string, volume: string): string {
  return `${site}_${volume}`;
}

export function serviceNames(site: string): readonly string[] {
  return [`${site}_web`, `${site}_db`];
}
