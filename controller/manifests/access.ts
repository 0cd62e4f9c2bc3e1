import type { ClusterDefaults } from "./types";
import type { Issue } from "./issue";
import type { ResolvedAccess, Site } from "./types";

/**
 * The host key the site's SFTP and SSH servers present, made once by the controller: a key
 * made at each container start would greet clients with a new identity after every restart,
 * which trains them to accept a changed host key. Reserved in spec.secrets.
 */
export const SSH_HOST_KEY = "ssh-host-key";

type AccessInput = NonNullable<Site["spec"]["access"]>;

export type AccessResult = { readonly ok: true; readonly access?: ResolvedAccess } | { readonly ok: false; readonly issues: readonly Issue[] };

/** Basic-auth user in front of phpMyAdmin when the manifest names none (the schema default). */
export const PHPMYADMIN_DEFAULT_USER = "admin";

/**
 * `spec.access` with its defaults; disabled services are left out. Fails when an enabled
 * service has no image anywhere, SFTP has no volume to serve, or phpMyAdmin has no database
 * or takes one of the site's own web domains. Pure.
 */
export function resolveAccess(site: Site, defaults: ClusterDefaults): AccessResult {
  const access: AccessInput | undefined = site.spec.access;
  const issues: Issue[] = [];
  const sftp = resolveSftp(site, access?.sftp, defaults, issues);
  const phpmyadmin = resolvePhpmyadmin(site, access?.phpmyadmin, defaults, issues);
  const ssh = resolveSsh(access?.ssh, defaults, issues);
  if (issues.length > 0) return { ok: false, issues };
  const resolved: ResolvedAccess = {
    ...(sftp !== undefined ? { sftp } : {}),
    ...(phpmyadmin !== undefined ? { phpmyadmin } : {}),
    ...(ssh !== undefined ? { ssh } : {}),
  };
  return Object.keys(resolved).length > 0 ? { ok: true, access: resolved } : { ok: true };
}

function resolveSftp(site: Site, sftp: AccessInput["sftp"], defaults: ClusterDefaults, issues: Issue[]): ResolvedAccess["sftp"] {
  if (sftp === undefined || sftp.enabled === false) return undefined;
  const found = issues.length;
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
  if (image === undefined || volume === undefined || issues.length > found) return undefined;
  return { image, port: sftp.port, keys: [...sftp.keys], volume };
}

function resolvePhpmyadmin(site: Site, pma: AccessInput["phpmyadmin"], defaults: ClusterDefaults, issues: Issue[]): ResolvedAccess["phpmyadmin"] {
  if (pma === undefined || pma.enabled === false) return undefined;
  const found = issues.length;
  const image = pma.image ?? defaults.phpmyadmin?.image;
  if (image === undefined) {
    issues.push({
      path: ["spec", "access", "phpmyadmin", "image"],
      message: "no phpMyAdmin image: set spec.access.phpmyadmin.image, or spec.defaults.phpmyadmin.image in simulium.yaml",
    });
  }
  if (site.spec.database === undefined) {
    issues.push({ path: ["spec", "access", "phpmyadmin"], message: "phpMyAdmin manages the site's database, and this site has none: add spec.database" });
  }
  // The same host cannot lead both to the website and to phpMyAdmin.
  if (site.spec.domains.includes(pma.domain)) {
    issues.push({
      path: ["spec", "access", "phpmyadmin", "domain"],
      message: `"${pma.domain}" is one of the site's own domains (spec.domains): phpMyAdmin needs a host name of its own`,
    });
  }
  if (image === undefined || issues.length > found) return undefined;
  return { image, domain: pma.domain, user: pma.user ?? PHPMYADMIN_DEFAULT_USER };
}

function resolveSsh(ssh: AccessInput["ssh"], defaults: ClusterDefaults, issues: Issue[]): ResolvedAccess["ssh"] {
  if (ssh === undefined || ssh.enabled === false) return undefined;
  const image = ssh.image ?? defaults.ssh?.image;
  if (image === undefined) {
    issues.push({ path: ["spec", "access", "ssh", "image"], message: "no SSH image: set spec.access.ssh.image, or spec.defaults.ssh.image in simulium.yaml" });
    return undefined;
  }
  return { image, port: ssh.port, keys: [...ssh.keys] };
}
