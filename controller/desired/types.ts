/**
 * The desired state: plain resource specs in simulium's own normalised shape. The live
 * reader projects the engine's objects into the same shape, so plan compares like with like
 * (the engine fills defaults and reorders fields; comparing raw specs redeploys forever).
 */

export type Kind = "network" | "secret" | "volume" | "service";

/** Where an object belongs: a site, or the instance's shared objects (edge network, Varnish). */
export type Owner = { readonly site: string } | { readonly site: null };

export type Labels = Readonly<Record<string, string>>;

export interface NetworkSpec {
  readonly kind: "network";
  readonly site: string | null;
  readonly name: string;
  readonly driver: string;
  readonly attachable: boolean;
  readonly labels: Labels;
}

export interface VolumeSpec {
  readonly kind: "volume";
  readonly site: string | null;
  readonly name: string;
  readonly driver: string;
  readonly options: Readonly<Record<string, string>>;
  readonly labels: Labels;
  /**
   * Made by this node's engine when the first task mounting it starts (from the mount's
   * volume options), not through the API: the controller's engine is another node, where it
   * would be the wrong volume. Not listed through the API either, so never planned.
   */
  readonly onNode?: string;
}

/**
 * A Swarm secret. Its value is never part of the desired state: generated values are made
 * at apply time, once; the name carries a hash of how the value is made, so a change (a new
 * length, a bumped rotation) is a new secret rather than an edit of an immutable one.
 */
export interface SecretSpec {
  readonly kind: "secret";
  readonly site: string | null;
  readonly name: string;
  /** The name the manifest uses, e.g. `db-password`; stable across versions. */
  readonly logicalName: string;
  readonly source: SecretSource;
  readonly labels: Labels;
}

/**
 * `generate`: a random value made at apply time. `provided`: a value the controller already
 * holds (the Varnish admin secret, which it must know to authenticate); apply asks for it by
 * secret name, so the value never travels through the desired state or the plan.
 */
export type SecretSource =
  | { readonly generate: { readonly length: number } }
  | { readonly provided: true }
  /** A `sealed:` value of the manifest, decrypted at plan time; apply asks for it like a provided one. */
  | { readonly sealed: true }
  /** An SSH host private key (ECDSA P-256, PEM) made at apply time, once: SFTP and SSH keep their identity across restarts. */
  | { readonly sshHostKey: true };

export interface ServiceMount {
  readonly source: string;
  readonly target: string;
  readonly readOnly: boolean;
}

export interface ServiceSecretRef {
  /** Versioned Swarm secret name. */
  readonly secretName: string;
  /** File name under /run/secrets. */
  readonly target: string;
  /** File mode when not the default 0444: 0400 for a key only root (the server) may read. */
  readonly mode?: number;
}

export interface PublishedPort {
  readonly target: number;
  readonly published: number;
  readonly protocol: "tcp" | "udp";
  readonly mode: "host" | "ingress";
}

export interface UpdatePolicy {
  readonly order: "start-first" | "stop-first";
  readonly failureAction: "rollback" | "pause" | "continue";
  readonly monitorSeconds: number;
  readonly parallelism: number;
  /** Seconds Swarm waits between two task replacements (its update `Delay`). */
  readonly delaySeconds: number;
}

/**
 * A Docker health check on the service's containers. Swarm keeps a task `starting` until its
 * check passes, so a start-first update keeps the old task until the new one is healthy, and
 * apply counts a task as running only then. Durations in seconds.
 */
export interface ContainerHealthcheck {
  /** `["CMD", program, ...args]` or `["CMD-SHELL", script]`, as the engine takes it. */
  readonly test: readonly string[];
  readonly intervalSeconds: number;
  readonly timeoutSeconds: number;
  readonly retries: number;
  /** Failures in this first stretch do not count (a database initialising its data directory). */
  readonly startPeriodSeconds: number;
}

/** Everything about a service that simulium manages; anything else is the engine's business. */
export interface ServiceShape {
  readonly image: string;
  readonly args: readonly string[] | null;
  readonly env: Readonly<Record<string, string>>;
  /** Tasks of a replicated service; 0 for a global one. */
  readonly replicas: number;
  /** One task on every node its constraints allow (Swarm's global mode); absent: replicated. */
  readonly global?: true;
  readonly mounts: readonly ServiceMount[];
  readonly secrets: readonly ServiceSecretRef[];
  readonly networks: readonly string[];
  readonly memoryBytes: number | null;
  readonly nanoCpus: number | null;
  readonly endpointMode: "vip" | "dnsrr";
  readonly ports: readonly PublishedPort[];
  readonly constraints: readonly string[];
  /**
   * Placement preferences: Swarm spreads the tasks evenly over the values of these node
   * attributes (`node.id`: one per node before a second on any). Absent: none.
   */
  readonly spread?: readonly string[];
  /** Labels inside the task template: only stable ones, since a change restarts every task. */
  readonly taskLabels: Labels;
  readonly update: UpdatePolicy;
  /** Absent: the image's own HEALTHCHECK, if any, applies. */
  readonly healthcheck?: ContainerHealthcheck;
  /** Seconds between the stop signal and SIGKILL; absent: the engine's 10 s. */
  readonly stopGracePeriodSeconds?: number;
  /** Namespaced kernel settings of the task (the TLS terminator's net.ipv4.tcp_migrate_req); absent: none. */
  readonly sysctls?: Readonly<Record<string, string>>;
}

export interface ServiceSpec {
  readonly kind: "service";
  readonly site: string | null;
  readonly name: string;
  readonly role: "web" | "db" | "varnish" | "sftp" | "phpmyadmin" | "ssh" | "tls";
  readonly shape: ServiceShape;
  /**
   * Service-level labels (may change without restarting tasks). As rendered, without the
   * spec hash: the plan adds it to the services it creates or updates (service-hash.ts).
   */
  readonly labels: Labels;
  /**
   * How the node's engine makes each mounted volume that does not exist there yet (driver,
   * options, labels), by volume name: set on pinned services (desired/placement.ts). Not part
   * of the shape: it changes nothing a running task uses.
   */
  readonly volumes?: Readonly<Record<string, { readonly driver: string; readonly options: Readonly<Record<string, string>>; readonly labels: Labels }>>;
}

export type ResourceSpec = NetworkSpec | VolumeSpec | SecretSpec | ServiceSpec;

export interface DesiredState {
  readonly instance: string;
  readonly resources: readonly ResourceSpec[];
  /** Sites whose objects must be left exactly as they run (suspended or invalid manifest). */
  readonly frozenSites: readonly string[];
  /** Sites declared in the manifests (valid ones), suspended included. */
  readonly sites: readonly string[];
  readonly suspendedSites: readonly string[];
}
