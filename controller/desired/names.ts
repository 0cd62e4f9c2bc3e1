/**
 * Object names. Swarm limits: service, network and volume names at most 63 characters,
 * secret and config names at most 64. The validator checks manifests against these
 * functions, so what validates always renders.
 */
export const SECRET_HASH_LENGTH = 10;
export const MAX_SECRET_NAME = 64;
export const MAX_OBJECT_NAME = 63;

export const names = {
  siteNetwork: (site: string) => `${site}_default`,
  edgeNetwork: (instance: string) => `${instance}_edge`,
  /** Varnish's admin port and the controller: a network no site ever joins. */
  adminNetwork: (instance: string) => `${instance}_admin`,
  /** Varnish and the sites' admin tools (phpMyAdmin): no site's web or database joins it. */
  toolsNetwork: (instance: string) => `${instance}_tools`,
  service: (site: string, role: "web" | "db" | "sftp" | "phpmyadmin" | "ssh") => `${site}_${role}`,
  varnishService: (instance: string) => `${instance}_varnish`,
  /** The TLS terminator (hitch) in front of Varnish. */
  tlsService: (instance: string) => `${instance}_tls`,
  /** The TLS terminator and Varnish's PROXY listener: no site joins it, so none can forge a visitor's address. */
  tlsNetwork: (instance: string) => `${instance}_tls`,
  /** A site's certificate (key + chain, PEM) for the TLS terminator, named by its content. */
  tlsCertSecret: (site: string, hash: string) => `${site}_tls-${hash}`,
  /** Its file in the terminator's certificate directory. */
  tlsCertTarget: (site: string) => `${site}.pem`,
  /** The terminator's certificate directory on each node (tmpfs, tls/render.ts). */
  tlsCertVolume: (instance: string) => `${instance}_tls-certs`,
  volume: (site: string, volume: string) => `${site}_${volume}`,
  dbVolume: (site: string) => `${site}_db-data`,
  secret: (site: string, secret: string, hash: string) => `${site}_${secret}-${hash}`,
  /** Longest a secret name can render to, for validation before any hash exists. */
  secretLength: (site: string, secret: string) => site.length + 1 + secret.length + 1 + SECRET_HASH_LENGTH,
} as const;

/** Varnish's PROXY listener for the TLS terminator, bound on the TLS network only (the image's VARNISH_PROXY_*). */
export const VARNISH_PROXY_PORT = 8443;

export const DB_VOLUME = "db-data";
export const DB_PASSWORD = "db-password";
export const DB_ROOT_PASSWORD = "db-root-password";
export const DB_DATA_PATH = "/var/lib/mysql";
/** Where a site's database listens, on the site network. */
export const DB_PORT = "3306";
/**
 * phpMyAdmin's basic-auth password, generated like db-password. Short enough that
 * `<site>_pma-password-<hash>` fits Swarm's 64 characters for every valid site name.
 */
export const PMA_PASSWORD = "pma-password";

export { SSH_HOST_KEY } from "../manifests/access";

/** What Swarm gives a secret file unless told otherwise: readable by every user of the task. */
export const DEFAULT_SECRET_MODE = 0o444;
