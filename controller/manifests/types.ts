import type { Issue } from "./issue";
import type { Cluster, Site } from "./schema-types";

export type { Cluster, Site };

/** A manifest parsed to plain data, with the means to point back into its source. */
export interface ParsedManifest {
  readonly file: string;
  readonly value: unknown;
  /** Locates an issue: its field path and the line:column of the node it concerns. */
  readonly locate: (issue: Issue) => ManifestError;
}

export type ParseResult = { readonly ok: true; readonly manifest: ParsedManifest } | { readonly ok: false; readonly errors: readonly ManifestError[] };

/** `spec.defaults` of simulium.yaml as written. */
export type ClusterDefaults = NonNullable<NonNullable<Cluster["spec"]>["defaults"]>;

export interface ResolvedCivicrm {
  readonly scheduledJobs: boolean;
  /** Only with a return-path mailbox (`spec.mail.returnPath`): without one there is nothing to fetch. */
  readonly bounces: boolean;
}

/** A command run in the new web image, or (preDeploy only) a backup of the site with restic. */
export type ResolvedHook = { readonly command: readonly string[]; readonly timeout: number } | { readonly backup: true };

/** `spec.hooks`: commands run as Swarm jobs in the new web image around a change of the web service. */
export interface ResolvedHooks {
  readonly preDeploy: readonly ResolvedHook[];
  readonly postDeploy: readonly ResolvedHook[];
  /** On a postDeploy failure: web back to its previous spec, the database back from the preDeploy backup. */
  readonly restoreOnFailure?: true;
}


/** A problem in the manifests repository, located for an operator. */
export interface ManifestError {
  /** Path relative to the repository root, e.g. `sites/acme.yaml`. */
  readonly file: string;
  /** 1-based; 0 when the problem concerns the file as a whole (missing, too big, unreadable). */
  readonly line: number;
  readonly column: number;
  /** Field path, e.g. `spec.domains[1]`; empty for the whole document. */
  readonly path: string;
  readonly message: string;
  /** The site the file belongs to (from its file name), when it is a site manifest. */
  readonly site?: string;
}

export interface Resources {
  readonly memoryBytes?: number;
  readonly nanoCpus?: number;
}

/** A site with every default applied (schema defaults, then simulium.yaml defaults). Plain data. */
export interface ResolvedSite {
  readonly name: string;
  /** Manifest file, relative to the repository root. */
  readonly file: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly suspend: boolean;
  readonly deletionPolicy: "Retain" | "Delete";
  readonly domains: readonly string[];
  readonly web: {
    readonly image: string;
    readonly replicas: number;
    readonly port: number;
    readonly command?: readonly string[];
    readonly env: Readonly<Record<string, string>>;
    readonly resources: Resources;
    readonly healthcheck: { readonly path: string; readonly interval: number; readonly timeout: number };
  };
  readonly database?: {
    readonly image: string;
    readonly name: string;
    readonly user: string;
    readonly env: Readonly<Record<string, string>>;
    readonly resources: Resources;
  };
  readonly volumes: readonly { readonly name: string; readonly mountPath: string; readonly readOnly: boolean }[];
  readonly secrets: readonly ResolvedSecret[];
  readonly cron: readonly {
    readonly name: string;
    readonly schedule: string;
    readonly command: readonly string[];
    readonly timeout: number;
    readonly allowOverlap: boolean;
  }[];
  readonly backup?: ResolvedSiteBackup;
  readonly placement: { readonly constraints: readonly string[] };
  /** `spec.routing` as written: only the fields the site sets (Varnish's defaults live in the VCL renderer). */
  readonly routing?: RoutingOverrides;
  /** `spec.mail`; its passwords are sealed secrets of the site (MAIL_SECRETS), listed in `secrets`. */
  readonly mail?: ResolvedMail;
  /** `spec.access` with only the enabled services. */
  readonly access?: ResolvedAccess;
  /** `spec.civicrm` when enabled. */
  readonly civicrm?: ResolvedCivicrm;
  /** `spec.hooks`, absent when the site declares none. */
  readonly hooks?: ResolvedHooks;
  /** HTTPS by ACME (`spec.tls`, or the cluster's default); absent when the site is plain http. */
  readonly tls?: ResolvedSiteTls;
  /** `spec.uptime` with its defaults: the daemon's probes of the site's domains through Varnish. */
  readonly uptime: ResolvedUptime;
  /** Set on an environment of a site (`spec.environments`), absent on the site itself (production). */
  readonly environment?: ResolvedEnvironmentOf;
}

export interface ResolvedUptime {
  readonly enabled: boolean;
  /** Seconds between probes, and a probe's time limit. */
  readonly interval: number;
  readonly timeout: number;
  /** Consecutive failed probes before the site counts as down. */
  readonly failures: number;
  readonly path: string;
}

/** `spec.tls` of a site with HTTPS: a certificate from the cluster's ACME directory, or its own. */
export type ResolvedSiteTls = ResolvedSiteTlsBase & (ResolvedAcmeTls | { readonly mode: "certificate"; readonly certificate: { readonly chain: string; readonly key: SealedCiphertext } });

/** A certificate from the cluster's ACME directory. */
export interface ResolvedAcmeTls {
  readonly mode: "acme";
  /** How names other than wildcards are validated; absent: http-01 (answered by Varnish). */
  readonly challenge?: "http-01" | "dns-01";
  /** `*.parent` names the certificate covers instead of the domains under them (always DNS-01). */
  readonly wildcards?: readonly string[];
}

interface ResolvedSiteTlsBase {
  /** 301 from http to https once the certificate is served. */
  readonly redirect: boolean;
  readonly hsts?: { readonly maxAge: number; readonly includeSubDomains: boolean };
}

/** The name a site's own TLS key is sealed under: `simulium seal --site S --name tls-key`. */
export const TLS_KEY_SEAL_NAME = "tls-key";

/** simulium.yaml `spec.tls`: the terminator in front of Varnish and the ACME directory. */
export interface ResolvedClusterTls {
  readonly image: string;
  readonly port: number;
  /** The port visitors reach https on (the redirect's); `port` unless a balancer maps another. */
  readonly publicPort: number;
  readonly replicas: number;
  /** One task on every node `constraints` allow (Varnish's mode, unless replicas were given). */
  readonly global: boolean;
  /** Varnish's: the terminators run on the nodes Varnish runs on. */
  readonly constraints: readonly string[];
  readonly acme?: {
    readonly directory: string;
    readonly email: string;
    readonly caFile?: string;
    readonly renewBeforeFraction: number;
    /** Look names up before ordering; with addresses, they must resolve to one of them. */
    readonly checkDns: boolean;
    readonly expectAddresses: readonly string[];
  };
}

/** What makes a resolved site an environment of another (manifests/environments.ts). */
export interface ResolvedEnvironmentOf {
  /** The production site it is an environment of. */
  readonly of: string;
  /** The environment's name (`staging`); the site's name is `<of>--<name>`. */
  readonly name: string;
  /** Index in the parent's `spec.environments`, to locate its problems; -1 for a preview. */
  readonly index: number;
  /** Set on a pull request's preview: its number (the environment is named `pr<number>`). */
  readonly preview?: { readonly number: number; readonly headSha: string };
  /** `seed`: loaded once, when the environment is created (backup/seed.ts); never on a preview. */
  readonly seed?: ResolvedEnvironmentSeed;
}

export interface ResolvedEnvironmentSeed {
  /** `prod` (the site itself) or another environment's name: whose latest backup is loaded. */
  readonly from: string;
  /** A shell command run in the environment's web image after the load. */
  readonly sanitise?: string;
}

/** `spec.backup`: when backups run and which runs restic's `forget` keeps. */
export interface ResolvedSiteBackup {
  readonly schedule: string;
  readonly keep: number;
  readonly keepDaily?: number;
  readonly keepWeekly?: number;
  readonly keepMonthly?: number;
}

/** simulium.yaml `spec.backup`, present when it names a tools image (backups are enabled). */
export interface ResolvedBackupConfig {
  readonly image: string;
  /** The named volume `<instance>_backups`, or a restic URL base; each site's repository is `<base>/<site>`. */
  readonly repository: { readonly volume: true } | { readonly url: string };
  /** Generated once into the controller's state directory, or a sealed value (its ciphertext). */
  readonly password: { readonly generated: true } | { readonly sealed: string };
  /** Environment restic reads (object storage credentials): name → sealed ciphertext. */
  readonly env: Readonly<Record<string, string>>;
  readonly checkSchedule: string;
}

/** Developer access services of a site. */
export interface ResolvedAccess {
  /** SFTP into one of the site's volumes (`volume` is its name in `spec.volumes`). */
  readonly sftp?: { readonly image: string; readonly port: number; readonly keys: readonly string[]; readonly volume: string };
  /** phpMyAdmin for the site's database, routed by Varnish on `domain`, behind basic auth as `user`. */
  readonly phpmyadmin?: { readonly image: string; readonly domain: string; readonly user: string };
  /** A developer shell with the web service's volumes, environment and secrets. */
  readonly ssh?: { readonly image: string; readonly port: number; readonly keys: readonly string[] };
}

/** Outgoing SMTP relay and CiviCRM's return-path mailbox, without their passwords. */
export interface ResolvedMail {
  readonly host: string;
  readonly port: number;
  readonly user: string;
  readonly from: string;
  readonly returnPath?: { readonly host: string; readonly port: number; readonly user: string; readonly mailbox: string };
}

/** A secret made by the controller (`generate`) or given encrypted in the manifest (`sealed`). */
export type ResolvedSecret =
  | { readonly name: string; readonly generate: { readonly length: number; readonly rotation: number } }
  | { readonly name: string; readonly sealed: SealedCiphertext };

/** A `sealed:` value as written, and where: a value that does not decrypt is reported there. */
export interface SealedCiphertext {
  /** Base64 of a binary age message. */
  readonly ciphertext: string;
  /** Index in `spec.secrets`. */
  readonly index: number;
  /** The `sealed` field's path when it is not `spec.secrets[index].sealed` (e.g. `spec.mail.password.sealed`). */
  readonly path?: readonly (string | number)[];
  /** 1-based position of the `sealed` field in the file (0 until the loader locates it). */
  readonly line: number;
  readonly column: number;
}

/** Per-site Varnish overrides (`spec.routing`); every field optional. Seconds for the durations. */
export interface RoutingOverrides {
  readonly cache?: boolean;
  readonly passPaths?: readonly string[];
  readonly ttl?: number;
  readonly staticTtl?: number;
  readonly grace?: number;
  readonly firstByteTimeout?: number;
}

/** simulium.yaml with every default applied. */
export type ResolveDigests = "registry" | "always" | "never";

export interface ResolvedCluster {
  readonly instance: string;
  readonly endpointMode: "vip" | "dnsrr";
  readonly timeZone: string;
  readonly volumes: { readonly driver: string; readonly options: Readonly<Record<string, string>> };
  readonly registryAuth?: { readonly configFile: string };
  /** Which image tags the plan resolves to their digest (plan/image-digests.ts). */
  readonly images: { readonly resolveDigests: ResolveDigests };
  /** Daemon notifications (simulium run): webhook URLs only; their secret and the commit status are flags. */
  readonly notifications?: {
    readonly webhooks: readonly { readonly url: string }[];
    readonly suppressSeconds: number;
  };
  /** The age recipient `simulium seal` encrypts to; the private key never is in the repository. */
  readonly sealing?: { readonly publicKey: string };
  /** Backups (spec.backup), when enabled. */
  readonly backup?: ResolvedBackupConfig;
  readonly update: { readonly monitorSeconds: number; readonly timeoutSeconds: number };
  /** HTTPS (spec.tls), when simulium.yaml names a terminator image. */
  readonly tls?: ResolvedClusterTls;
  /** Pull-request previews (`spec.previews`), when configured. */
  readonly previews?: {
    readonly domain: string;
    readonly max: number;
    readonly ttlHours: number;
    /** A cap on each task of a preview's web and database services (`spec.previews.resources`). */
    readonly resources?: Resources;
    /** Most web replicas of a preview. */
    readonly replicas?: number;
    /** Branch patterns previewed by polling (`spec.previews.branches`); absent: webhooks only. */
    readonly branches?: readonly string[];
  };
  /** Limits on the sites' environments (`spec.environments`). */
  readonly environments: { readonly max: number; readonly maxPerSite: number };
  readonly varnish: {
    readonly image?: string;
    readonly port: number;
    readonly replicas: number;
    /** global: one task on every node `constraints` allow (replicas ignored). */
    readonly mode: "replicated" | "global";
    readonly constraints: readonly string[];
    readonly cacheSize: string;
    /** Compile VCL with the image's -O2 -g (false: -O0 -g0, Varnish 7.0 or newer). */
    readonly optimiseVcl: boolean;
    readonly vcl: { readonly recv?: string; readonly backendResponse?: string; readonly deliver?: string };
  };
}

/**
 * What loading a repository gives: the valid sites, and every problem found. A broken site
 * file excludes only that site (its name is in `invalidSites`, so the controller leaves it as
 * it runs); a broken simulium.yaml makes `cluster` undefined and nothing may be converged.
 */
export interface LoadResult {
  readonly cluster?: ResolvedCluster;
  readonly sites: readonly ResolvedSite[];
  readonly invalidSites: readonly string[];
  readonly errors: readonly ManifestError[];
}
