import type { ClusterDefaults } from "./resolve";
import type { Issue } from "./issue";
import type { ResolvedAccess, Site } from "./types";

type AccessInput = NonNullable<Site["spec"]["access"]>;

export type AccessResult = { readonly ok: true; readonly access?: ResolvedAccess } | { readonly ok: false; readonly issues: readonly Issue[] };

/**
 * `spec.access` with its defaults; disabled services are left out. Fails when an enabled
 * SFTP server has no image anywhere or no volume to serve. Pure.
 */
export function resolveAccess(site: Site, defaults: ClusterDefaults): AccessResult {
  const access: AccessInput | undefined = site.spec.access;
  const sftp = access?.sftp;
  if (sftp === undefined || sftp.enabled === false) return { ok: true };
  const issues: Issue[] = [];
  const image = sftp.image ?? defaults.sftp?.image;
  if (image === undefined) {
    issues.push({ path: ["spec", "access", "sftp", "image"], message: "no SFTP image: set spec.access.sftp.image, or spec.defaults.sftp.image in simulium.yaml" });
  }
  const volumes = site.spec.volumes ?? [];
  const volume = sftp.volume ?? volumes[0]?.name;
  if (volume === undefined) {
    issues.push({ path: ["spec", "access", "sftp"], message: "SFTP serves one of the site's volumes, and this site has none: add one to spec.volumes" });
  } else if (!volumes.some((v) => v.name === volume)) {
    issues.push({ path: ["spec", "access", "sftp", "volume"], message: `no volume named "${volume}" in spec.volumes` });
  }
  if (image === undefined || volume === undefined || issues.length > 0) return { ok: false, issues };
  return { ok: true, access: { sftp: { image, port: sftp.port, keys: [...sftp.keys], volume } } };
}
