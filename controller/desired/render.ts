import type { ResolvedCluster, ResolvedSite } from "../manifests/types";
import { shortHash } from "./hash";
import { LABEL } from "./labels";
import { mailEnv } from "./mail-env";
import { DB_DATA_PATH, DB_PASSWORD, DB_PORT, DB_ROOT_PASSWORD, names, PMA_PASSWORD, SECRET_HASH_LENGTH, SSH_HOST_KEY, VARNISH_PROXY_PORT } from "./names";
import { pinResources, SitePin, spreadService, spreadsWeb } from "./placement";
import { backendLabels, routingLabels } from "./routing-labels";
import { varnishStateMount, varnishStateVolume } from "./varnish-state";
import type {
  ContainerHealthcheck,
  DesiredState,
  Labels,
  NetworkSpec,
  ResourceSpec,
  SecretSpec,
  ServiceShape,
  ServiceSpec,
  VolumeSpec,
} from "./types";

export interface RenderInput {
  readonly sites: readonly ResolvedSite[];
  readonly cluster: ResolvedCluster;
  /** Sites whose manifest is present but invalid: left exactly as they run. */
  readonly invalidSites?: readonly string[];
  /** Hash of the Varnish admin secret's value (routing/admin-secret.ts); needed when Varnish is configured. */
  readonly varnishSecret?: { readonly hash: string };
  /**
   * The instance's objects that features contribute (backups: the restic secrets and volume),
   * rendered by the feature itself: the core renders sites and knows no feature.
   */
  readonly instanceResources?: readonly ResourceSpec[];
  /** The node each site's data is pinned to (desired/placement.ts); a site without one is not pinned. */
  readonly pins?: ReadonlyMap<string, SitePin>;
  /** The features' parts of every site (access: phpMyAdmin, SSH, SFTP), rendered with the site's own objects. */
  readonly siteParts?: readonly SitePart[];
}

/**
 * A feature's part of one site's objects (access: phpMyAdmin, SSH, SFTP and their secrets),
 * rendered from the site and what the core rendered of it. Pure. Its objects are pinned and
 * planned like the site's own.
 */
export type SitePart = (site: ResolvedSite, cluster: ResolvedCluster, ctx: SitePartContext) => readonly ResourceSpec[];

/** What a site part sees of the site's rendering. */
export interface SitePartContext {
  /** The site's web service as rendered (SSH mirrors its environment, volumes and secrets). */
  readonly web: ServiceSpec;
  /** The site's secrets the core rendered: the manifest's and the database's. */
  readonly secrets: readonly SecretSpec[];
  /** The site's labels for a role (instance, site, role, stack, user labels). */
  readonly labels: (role: string) => Labels;
}

export const DEFAULT_SECRET_LENGTH = 32;

/** Sites + cluster settings → every Swarm object this instance should own. Pure. */
export function renderDesired(input: RenderInput): DesiredState {
  const { cluster } = input;
  const resources: ResourceSpec[] = [edgeNetwork(cluster), adminNetwork(cluster), toolsNetwork(cluster), ...renderVarnish(cluster, input.varnishSecret), ...(input.instanceResources ?? [])];
  for (const site of input.sites) {
    if (!site.suspend) resources.push(...renderSite(site, cluster, input.pins?.get(site.name), input.siteParts));
  }
  const suspended = input.sites.filter((s) => s.suspend).map((s) => s.name);
  return {
    instance: cluster.instance,
    resources,
    sites: input.sites.map((s) => s.name),
    suspendedSites: suspended,
    frozenSites: [...suspended, ...(input.invalidSites ?? [])],
  };
}

/**
 * One site's objects: its own, then the features' parts of it (none: the site's web, database,
 * volumes and secrets only, which is what a job or an export needs of it).
 */
export function renderSite(site: ResolvedSite, cluster: ResolvedCluster, pin?: SitePin, parts: readonly SitePart[] = []): ResourceSpec[] {
  const secrets = siteSecrets(site, cluster);
  const secretName = (logical: string): string => {
    const found = secrets.find((s) => s.logicalName === logical);
    if (!found) throw new Error(`internal: secret ${logical} of ${site.name} not rendered`);
    return found.name;
  };
  const web = webService(site, cluster, secrets);
  const ctx: SitePartContext = { web, secrets, labels: (role) => baseLabels(cluster, site, role) };
  const contributed = parts.flatMap((part) => part(site, cluster, ctx));
  // The parts' secrets stand with the site's (PreSync), their services after the site's.
  const out: ResourceSpec[] = [
    siteNetwork(site, cluster),
    ...secrets,
    ...contributed.filter((r) => r.kind === "secret"),
    ...siteVolumes(site, cluster),
    web,
    ...(site.database ? [dbService(site, cluster, secretName(DB_PASSWORD), secretName(DB_ROOT_PASSWORD))] : []),
    ...contributed.filter((r) => r.kind !== "secret"),
  ];
  if (pin) return pinResources(out, pin);
  return spreadsWeb(site, cluster, pin) ? out.map((r) => (r === web ? spreadService(web) : r)) : out;
}

/** A site object's labels for a role: instance, site, role, stack, the manifest's own labels. */
export function baseLabels(cluster: ResolvedCluster, site: ResolvedSite, role: string): Record<string, string> {
  const labels: Record<string, string> = {
    [LABEL.instance]: cluster.instance,
    [LABEL.site]: site.name,
    [LABEL.role]: role,
    [LABEL.stackNamespace]: site.name,
  };
  for (const [k, v] of Object.entries(site.labels)) labels[LABEL.userPrefix + k] = v;
  return labels;
}

/**
 * Data-holding objects carry no deletion policy: a volume's labels cannot change after it is
 * made, so a label would keep the policy of the day it was created. The policy in force is on
 * the web service (updated with the manifest), read in the pass that removes the site.
 */
function dataLabels(cluster: ResolvedCluster, site: ResolvedSite, role: string): Record<string, string> {
  return baseLabels(cluster, site, role);
}

function withHash<T extends { labels: Labels }>(spec: T, hashOf: unknown): T {
  return { ...spec, labels: { ...spec.labels, [LABEL.specHash]: shortHash(hashOf) } };
}

/** The network Varnish and every site's web share, for HTTP. */
function edgeNetwork(cluster: ResolvedCluster): NetworkSpec {
  return instanceNetwork(cluster, "edge", names.edgeNetwork(cluster.instance), true);
}

/**
 * Varnish's admin port and the controller, apart from the tenants: no site service ever joins
 * it (they are all on the edge network, which Varnish shares with them for HTTP only). Not
 * attachable: only Swarm services (Varnish, the controller's stack) join it.
 */
function adminNetwork(cluster: ResolvedCluster): NetworkSpec {
  return instanceNetwork(cluster, "admin", names.adminNetwork(cluster.instance), false);
}

/**
 * Where Varnish reaches the sites' phpMyAdmin: not the edge network, so no site's code can
 * reach another site's database tool directly (only through Varnish, by its host name).
 */
function toolsNetwork(cluster: ResolvedCluster): NetworkSpec {
  return instanceNetwork(cluster, "tools", names.toolsNetwork(cluster.instance), false);
}

function instanceNetwork(cluster: ResolvedCluster, role: string, name: string, attachable: boolean): NetworkSpec {
  const labels = {
    [LABEL.instance]: cluster.instance,
    [LABEL.role]: role,
    [LABEL.stackNamespace]: cluster.instance,
  };
  const spec = { driver: "overlay", attachable };
  return withHash({ kind: "network", site: null, name, ...spec, labels }, spec);
}

const VARNISH_SECRET = "varnish-secret";
const VARNISH_HTTP_PORT = 80;
/**
 * The image's own compiler command (%D, Varnish 7.0+) without optimisation or debug info: a
 * VCL is compiled on every task change, and -O2 -g took 1.4 s for 100 sites where this takes
 * 0.6 s, time a new task waits before it serves. VCL's C is glue calling into varnishd, so
 * unoptimised code costs nothing measurable per request. gcc and clang take the last -O/-g.
 */
const FAST_VCL_COMPILE = ["-p", "cc_command=%D -O0 -g0"];

/** The shared Varnish and its admin secret, when simulium.yaml names a Varnish image. */
function renderVarnish(cluster: ResolvedCluster, secret: RenderInput["varnishSecret"]): ResourceSpec[] {
  const v = cluster.varnish;
  if (v.image === undefined) return [];
  if (secret === undefined) throw new Error("internal: Varnish is configured but no admin secret was given to render");
  const shared = { [LABEL.instance]: cluster.instance, [LABEL.stackNamespace]: cluster.instance };
  const secretSpec: SecretSpec = {
    kind: "secret",
    site: null,
    name: names.secret(cluster.instance, VARNISH_SECRET, secret.hash),
    logicalName: VARNISH_SECRET,
    source: { provided: true },
    labels: { ...shared, [LABEL.role]: "secret", [LABEL.secret]: VARNISH_SECRET, [LABEL.specHash]: secret.hash },
  };
  const ports = [{ target: VARNISH_HTTP_PORT, published: v.port, protocol: "tcp", mode: "host" } as const];
  const shape: ServiceShape = {
    image: v.image,
    // Long backend lists exceed the default 48 KB answer limit of the admin CLI.
    args: ["-p", "cli_limit=1m", ...(v.optimiseVcl ? [] : FAST_VCL_COMPILE)],
    // The entrypoint binds the admin port (-T) to the task's address on this network (and on
    // docker_gwbridge, which only the host reaches), never on the edge network.
    env: { VARNISH_SIZE: v.cacheSize, VARNISH_ADMIN_NETWORK: names.adminNetwork(cluster.instance), ...proxyListener(cluster) },
    ...(v.mode === "global" ? { replicas: 0, global: true as const } : { replicas: v.replicas }),
    // The last active VCL, loaded at start when no controller is there to push one.
    mounts: [varnishStateMount(cluster.instance)],
    secrets: [{ secretName: secretSpec.name, target: VARNISH_SECRET }],
    // The admin port stays unpublished: only the admin network (and the manager host) reach it.
    networks: [names.adminNetwork(cluster.instance), names.edgeNetwork(cluster.instance), names.toolsNetwork(cluster.instance), ...(cluster.tls ? [names.tlsNetwork(cluster.instance)] : [])],
    memoryBytes: null,
    nanoCpus: null,
    endpointMode: cluster.endpointMode,
    ports,
    constraints: [...v.constraints],
    taskLabels: { [LABEL.instance]: cluster.instance, [LABEL.role]: "varnish" },
    // Two tasks cannot bind the same host port on one node: the old one stops first.
    update: { order: "stop-first", failureAction: "rollback", monitorSeconds: cluster.update.monitorSeconds, parallelism: 1, delaySeconds: 0 },
  };
  // The operator's VCL snippets reach Varnish through the admin port, not the service: their
  // hash as a label makes a snippet-only change a (label-only, no restart) update in the plan.
  const snippets = Object.values(v.vcl).some((x) => x !== undefined && x.trim() !== "") ? { [`${LABEL.routingPrefix}snippets`]: shortHash(v.vcl) } : {};
  const labels = { ...shared, [LABEL.role]: "varnish", ...snippets };
  const service: ServiceSpec = { kind: "service", site: null, name: names.varnishService(cluster.instance), role: "varnish", shape, labels };
  return [secretSpec, varnishStateVolume(cluster), service];
}

/**
 * With a TLS terminator (tls/render.ts): a PROXY v2 listener named "tls" that the image binds
 * only on this task's address on the TLS network, which no site joins, so no tenant can claim
 * a visitor's address or https.
 */
function proxyListener(cluster: ResolvedCluster): Record<string, string> {
  if (cluster.tls === undefined) return {};
  return { VARNISH_PROXY_NETWORK: names.tlsNetwork(cluster.instance), VARNISH_PROXY_PORT: String(VARNISH_PROXY_PORT) };
}

function siteNetwork(site: ResolvedSite, cluster: ResolvedCluster): NetworkSpec {
  const spec = { driver: "overlay", attachable: true };
  return withHash(
    { kind: "network", site: site.name, name: names.siteNetwork(site.name), ...spec, labels: baseLabels(cluster, site, "network") },
    spec,
  );
}

function siteVolumes(site: ResolvedSite, cluster: ResolvedCluster): VolumeSpec[] {
  const volume = (name: string, role: string): VolumeSpec => {
    const spec = { driver: cluster.volumes.driver, options: cluster.volumes.options };
    return withHash({ kind: "volume", site: site.name, name, ...spec, labels: dataLabels(cluster, site, role) }, spec);
  };
  const out = site.volumes.map((v) => volume(names.volume(site.name, v.name), "volume"));
  if (site.database) out.push(volume(names.dbVolume(site.name), "db-data"));
  return out;
}

/** The site's declared secrets, plus the database passwords a site with a database needs. */
function siteSecrets(site: ResolvedSite, cluster: ResolvedCluster): SecretSpec[] {
  const declared = new Map<string, ResolvedSite["secrets"][number]>(site.secrets.map((s) => [s.name, s]));
  if (site.database) {
    for (const name of [DB_PASSWORD, DB_ROOT_PASSWORD]) {
      if (!declared.has(name)) declared.set(name, { name, generate: { length: DEFAULT_SECRET_LENGTH, rotation: 0 } });
    }
  }
  return [...declared.entries()].map(([logicalName, secret]) => siteSecret(site, cluster, logicalName, secret));
}

/** One of a site's secrets, declared or generated. */
export function siteSecret(site: ResolvedSite, cluster: ResolvedCluster, logicalName: string, secret: ResolvedSite["secrets"][number]): SecretSpec {
  // The name hashes how the value is made, never the value: a new length or a bumped
  // rotation is a new secret (Swarm secrets are immutable); anything else keeps the old one.
  // A sealed value is made by whoever sealed it: its ciphertext (public, in git) is what
  // changes when it is re-sealed, so a new ciphertext rotates it like a bumped rotation.
  const made = "sealed" in secret ? { sealed: secret.sealed.ciphertext } : { generate: secret.generate };
  const hash = shortHash(made, SECRET_HASH_LENGTH);
  const source: SecretSpec["source"] = "sealed" in secret ? { sealed: true } : { generate: { length: secret.generate.length } };
  return {
    kind: "secret",
    site: site.name,
    name: names.secret(site.name, logicalName, hash),
    logicalName,
    source,
    labels: {
      ...dataLabels(cluster, site, "secret"),
      [LABEL.secret]: logicalName,
      [LABEL.specHash]: hash,
    },
  };
}

/** A site's SSH host key (SSH_HOST_KEY): one per site, shared by its SFTP and SSH servers. */
export function hostKeySecret(site: ResolvedSite, cluster: ResolvedCluster): SecretSpec {
  const hash = shortHash({ sshHostKey: "ecdsa-p256" }, SECRET_HASH_LENGTH);
  return {
    kind: "secret",
    site: site.name,
    name: names.secret(site.name, SSH_HOST_KEY, hash),
    logicalName: SSH_HOST_KEY,
    source: { sshHostKey: true },
    labels: { ...dataLabels(cluster, site, "secret"), [LABEL.secret]: SSH_HOST_KEY, [LABEL.specHash]: hash },
  };
}

/** A service's task labels: what the live reader finds its tasks by. */
export function taskLabels(cluster: ResolvedCluster, site: string, role: string): Labels {
  return { [LABEL.instance]: cluster.instance, [LABEL.site]: site, [LABEL.role]: role };
}

function webService(site: ResolvedSite, cluster: ResolvedCluster, secrets: readonly SecretSpec[]): ServiceSpec {
  const env: Record<string, string> = { ...site.web.env, SIMULIUM_SITE: site.name };
  if (site.database) {
    Object.assign(env, {
      DB_HOST: names.service(site.name, "db"),
      DB_PORT,
      DB_NAME: site.database.name,
      DB_USER: site.database.user,
      DB_PASSWORD_FILE: `/run/secrets/${DB_PASSWORD}`,
    });
  }
  // Like the database settings, simulium's mail settings win over a manifest env of the same name.
  Object.assign(env, mailEnv(site.mail));
  const shape: ServiceShape = {
    image: site.web.image,
    args: site.web.command ? [...site.web.command] : null,
    env,
    replicas: site.web.replicas,
    mounts: site.volumes
      .map((v) => ({ source: names.volume(site.name, v.name), target: v.mountPath, readOnly: v.readOnly }))
      .sort((a, b) => a.target.localeCompare(b.target)),
    // The web tier never gets the database root password, nor phpMyAdmin's, nor the SSH host key.
    secrets: secrets
      .filter((s) => s.logicalName !== DB_ROOT_PASSWORD && s.logicalName !== PMA_PASSWORD && s.logicalName !== SSH_HOST_KEY)
      .map((s) => ({ secretName: s.name, target: s.logicalName }))
      .sort((a, b) => a.target.localeCompare(b.target)),
    networks: [names.siteNetwork(site.name), names.edgeNetwork(cluster.instance)].sort(),
    memoryBytes: site.web.resources.memoryBytes ?? null,
    nanoCpus: site.web.resources.nanoCpus ?? null,
    endpointMode: cluster.endpointMode,
    ports: [],
    constraints: [...site.placement.constraints].sort(),
    taskLabels: taskLabels(cluster, site.name, "web"),
    update: {
      order: "start-first",
      failureAction: "rollback",
      monitorSeconds: cluster.update.monitorSeconds,
      parallelism: 1,
      delaySeconds: webUpdateDelay(site.web.replicas),
    },
    healthcheck: webHealthcheck(site),
    stopGracePeriodSeconds: WEB_STOP_GRACE_SECONDS,
  };
  const labels = {
    ...baseLabels(cluster, site, "web"),
    [LABEL.deletionPolicy]: site.deletionPolicy,
    [LABEL.domains]: [...site.domains].join(","),
    ...routingLabels(site.routing),
    ...backendLabels({ port: site.web.port, healthcheck: site.web.healthcheck }),
  };
  return { kind: "service", site: site.name, name: names.service(site.name, "web"), role: "web", shape, labels };
}

/**
 * Varnish routes to task addresses, so each replaced task must reach the VCL (a routing sync
 * after the task events, ~1-3 s) before the last old task the VCL still lists is stopped;
 * until then Varnish retries a failed fetch on the site's other listed tasks. With R tasks
 * that leaves R-1 replacements for one sync: a two-task site waits 5 s between replacements,
 * a large one 1 s.
 */
export function webUpdateDelay(replicas: number): number {
  return Math.ceil(ROUTING_SYNC_SECONDS / Math.max(1, replicas - 1));
}
const ROUTING_SYNC_SECONDS = 5;

/**
 * Seconds between the stop signal and SIGKILL for a web task. The image contract (docs/images.md,
 * "What the images receive") asks a web image to keep serving a few seconds after SIGTERM,
 * until Varnish no longer routes to it, then finish its requests: this bounds both.
 */
export const WEB_STOP_GRACE_SECONDS = 30;

/**
 * The site's health-check path, interval and timeout (what Varnish probes) as the container's
 * own check: Swarm then keeps a new task `starting`, and the old one serving, until the new
 * one answers. Any answer below 500 passes: the check carries no Host (a domain change must
 * not restart tasks), so Drupal's trusted_host_patterns may answer 400, which still proves
 * Apache and PHP serve; Varnish's probe, with the site's Host, judges the site itself. Through
 * curl, which Drupal images carry; an image without curl passes (gated on its container start
 * only, as before) rather than never becoming healthy.
 */
function webHealthcheck(site: ResolvedSite): ContainerHealthcheck {
  const hc = site.web.healthcheck;
  // The path is validated to characters that need no quoting inside '…'.
  const url = `http://127.0.0.1:${site.web.port}${hc.path}`;
  return {
    test: [
      "CMD-SHELL",
      `command -v curl >/dev/null 2>&1 || exit 0; code=$(curl -s -o /dev/null --max-time ${hc.timeout} -w '%{http_code}' '${url}') || exit 1; [ "$code" -ge 200 ] && [ "$code" -lt 500 ]`,
    ],
    intervalSeconds: hc.interval,
    timeoutSeconds: hc.timeout + 1,
    retries: 3,
    startPeriodSeconds: WEB_START_PERIOD_SECONDS,
  };
}
/** A site's first start (caches, a database still initialising) may take this long without counting as failed. */
const WEB_START_PERIOD_SECONDS = 60;

/**
 * Ready means the site's user gets in over TCP with its password: the entrypoint's
 * initialisation server listens on a socket only, so a database still being initialised (or
 * recovering) is not ready. The password is read from the secret file inside the check, into
 * MYSQL_PWD, never onto a command line. An image without a client passes.
 */
const DB_HEALTHCHECK: ContainerHealthcheck = {
  test: [
    "CMD-SHELL",
    'c=$(command -v mariadb || command -v mysql) || exit 0; MYSQL_PWD="$(cat "$MARIADB_PASSWORD_FILE")" && export MYSQL_PWD && exec "$c" --protocol=tcp -h 127.0.0.1 -u "$MARIADB_USER" -e "SELECT 1" "$MARIADB_DATABASE" >/dev/null',
  ],
  intervalSeconds: 5,
  timeoutSeconds: 10,
  // About a minute of no answer before Swarm replaces a running server.
  retries: 5,
  // Crash recovery of a large database may take minutes; failures before it ends do not count.
  startPeriodSeconds: 600,
};

function dbService(site: ResolvedSite, cluster: ResolvedCluster, password: string, rootPassword: string): ServiceSpec {
  const db = site.database;
  if (!db) throw new Error("internal: dbService without a database");
  const shape: ServiceShape = {
    image: db.image,
    args: null,
    env: {
      ...db.env,
      MARIADB_DATABASE: db.name,
      MARIADB_USER: db.user,
      MARIADB_PASSWORD_FILE: `/run/secrets/${DB_PASSWORD}`,
      MARIADB_ROOT_PASSWORD_FILE: `/run/secrets/${DB_ROOT_PASSWORD}`,
    },
    replicas: 1,
    mounts: [{ source: names.dbVolume(site.name), target: DB_DATA_PATH, readOnly: false }],
    secrets: [
      { secretName: password, target: DB_PASSWORD },
      { secretName: rootPassword, target: DB_ROOT_PASSWORD },
    ],
    // Only the site's own network: no other site can reach its database.
    networks: [names.siteNetwork(site.name)],
    memoryBytes: db.resources.memoryBytes ?? null,
    nanoCpus: db.resources.nanoCpus ?? null,
    endpointMode: cluster.endpointMode,
    ports: [],
    constraints: [...site.placement.constraints].sort(),
    taskLabels: taskLabels(cluster, site.name, "db"),
    // Two MariaDB servers on one data directory corrupt it: the old task stops first.
    update: { order: "stop-first", failureAction: "rollback", monitorSeconds: cluster.update.monitorSeconds, parallelism: 1, delaySeconds: 0 },
    healthcheck: DB_HEALTHCHECK,
  };
  const labels = baseLabels(cluster, site, "db");
  return { kind: "service", site: site.name, name: names.service(site.name, "db"), role: "db", shape, labels };
}
