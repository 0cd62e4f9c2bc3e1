import { DB_PASSWORD, DB_ROOT_PASSWORD, names } from "../desired/names";
import { LABEL } from "../desired/labels";
import type { DesiredState } from "../desired/types";
import type { LiveState } from "../live/types";

/** A new value for a database password while the database still holds the old one. */
export interface UnsafeRotation {
  readonly site: string;
  readonly secret: string;
  readonly live: string;
  readonly desired: string;
}

const DATABASE_SECRETS: ReadonlySet<string> = new Set([DB_PASSWORD, DB_ROOT_PASSWORD]);

/**
 * MariaDB reads its password files only when it initialises an empty data directory: a new
 * db-password secret would reach web while the database keeps the old password, and the site
 * would lose its database. So a changed database password (a new length or rotation, a
 * re-sealed value) is refused while the site's data volume exists, and so is a new secret for
 * data whose secret is gone. Pure.
 */
export function unsafeRotations(desired: DesiredState, live: LiveState): UnsafeRotation[] {
  const volumes = new Set(live.volumes.map((v) => v.name));
  const out: UnsafeRotation[] = [];
  for (const r of desired.resources) {
    if (r.kind !== "secret" || r.site === null || !DATABASE_SECRETS.has(r.logicalName)) continue;
    if (!volumes.has(names.dbVolume(r.site))) continue;
    const current = live.secrets.filter((s) => s.site === r.site && s.labels[LABEL.secret] === r.logicalName);
    if (current.some((s) => s.name === r.name)) continue;
    // No secret but the data: the database keeps a password nobody can give web any more.
    out.push({ site: r.site, secret: r.logicalName, live: current.length > 0 ? current.map((s) => s.name).join(", ") : "(none: the secret is gone, the data is not)", desired: r.name });
  }
  return out;
}

/** The desired state with these sites left exactly as they run (like an invalid manifest). Pure. */
export function freezeSites(desired: DesiredState, sites: ReadonlySet<string>): DesiredState {
  if (sites.size === 0) return desired;
  return {
    ...desired,
    resources: desired.resources.filter((r) => r.site === null || !sites.has(r.site)),
    frozenSites: [...new Set([...desired.frozenSites, ...sites])],
  };
}
