import { createHash } from "node:crypto";
import { LABEL } from "../desired/labels";
import { names, SECRET_HASH_LENGTH, VARNISH_PROXY_PORT } from "../desired/names";
import type { NetworkSpec, ResourceSpec, SecretSpec, ServiceSpec, VolumeSpec } from "../desired/types";
import type { ResolvedCluster } from "../manifests/types";

const HTTPS_PORT = 443;
export const TLS_CERT_ROLE = "tls-cert";
/** On a certificate secret: the site it is for (not LABEL.site, see below). */
export const TLS_SITE_LABEL = "simulium.tls-site";

/** A site's certificate bundle (key + chain, PEM) that passed checkBundle (pem.ts). */
export interface SiteCert {
  readonly site: string;
  readonly pem: Buffer;
}

/** Where hitch's tasks read the certificates (a tmpfs volume per node, see below). */
export const TLS_CERT_DIR = "/etc/hitch/certs";

/**
 * The per-node certificate directory: tmpfs, so the private keys are in memory only and gone
 * when the last container using it on the node stops (the engine mounts a local volume once
 * per node and shares it between the containers that use it: hitch's task and the delivery
 * job, tls/deliver.ts). Made through the API on the controller's node, by each other node's
 * engine from the mount's options.
 */
const TLS_CERT_VOLUME_OPTIONS: Readonly<Record<string, string>> = { type: "tmpfs", device: "tmpfs", o: "size=16m,mode=0700" };

/**
 * The TLS terminator's objects: its network with Varnish, one content-named secret per
 * site's certificate, and the hitch service. Pure. No certificate yet, no service: hitch does
 * not start without one. The service does not mount the certificate secrets: a changed set
 * of mounted secrets is a service update, which restarts the tasks (https drops on the node
 * meanwhile, since two tasks cannot publish one host port). Instead the controller copies the
 * secrets into each running task's certificate directory and hitch reloads them on SIGHUP
 * without dropping a connection (tls/deliver.ts; harness/images/tls's entrypoint). So a new
 * certificate changes no service, and a superseded secret goes at once (no task mounts it).
 */
export function renderTlsResources(cluster: ResolvedCluster, certs: readonly SiteCert[]): ResourceSpec[] {
  const tls = cluster.tls;
  if (tls === undefined || cluster.varnish.image === undefined) return [];
  const shared = { [LABEL.instance]: cluster.instance, [LABEL.stackNamespace]: cluster.instance };
  const netSpec = { driver: "overlay", attachable: false };
  const network: NetworkSpec = {
    kind: "network",
    site: null,
    name: names.tlsNetwork(cluster.instance),
    ...netSpec,
    labels: { ...shared, [LABEL.role]: "tls", [LABEL.specHash]: hashOf(JSON.stringify(netSpec)) },
  };
  const sorted = [...certs].sort((a, b) => (a.site < b.site ? -1 : a.site > b.site ? 1 : 0));
  const secrets: SecretSpec[] = sorted.map((c) => {
    const hash = hashOf(c.pem);
    return {
      kind: "secret",
      site: null,
      name: names.tlsCertSecret(c.site, hash),
      logicalName: `tls-${c.site}`,
      source: { provided: true },
      // Not LABEL.site: the certificate belongs to the shared terminator, created before and removed after it changes.
      labels: { ...shared, [LABEL.role]: TLS_CERT_ROLE, [LABEL.secret]: `tls-${c.site}`, [TLS_SITE_LABEL]: c.site, [LABEL.derived]: "true", [LABEL.specHash]: hash },
    };
  });
  if (secrets.length === 0) return [network];
  const volumeLabels = { ...shared, [LABEL.role]: "tls" };
  const volume: VolumeSpec = { kind: "volume", site: null, name: names.tlsCertVolume(cluster.instance), driver: "local", options: { ...TLS_CERT_VOLUME_OPTIONS }, labels: volumeLabels };
  const service: ServiceSpec = {
    kind: "service",
    site: null,
    name: names.tlsService(cluster.instance),
    role: "tls",
    labels: { ...shared, [LABEL.role]: "tls" },
    shape: {
      image: tls.image,
      // The image's entrypoint (harness/images/tls) runs hitch on HITCH_FRONTEND with these options.
      args: [
        `--backend=[${names.varnishService(cluster.instance)}]:${VARNISH_PROXY_PORT}`,
        // Varnish tasks come and go (dnsrr): its name is looked up again every few seconds.
        // The short option: hitch 1.7.2 lists --backend-refresh but does not parse it.
        "-R",
        "5",
        "--write-proxy-v2=on",
        "--alpn-protos=http/1.1",
        "--tls-protos=TLSv1.2 TLSv1.3",
        "--ocsp-dir=/tmp",
        "--user=_hitch",
        "--group=_hitch",
      ],
      env: { HITCH_FRONTEND: `[*]:${HTTPS_PORT}` },
      ...(tls.global ? { replicas: 0, global: true as const } : { replicas: tls.replicas }),
      mounts: [{ source: names.tlsCertVolume(cluster.instance), target: TLS_CERT_DIR, readOnly: false }],
      secrets: [],
      networks: [network.name],
      memoryBytes: null,
      nanoCpus: null,
      endpointMode: cluster.endpointMode,
      ports: [{ target: HTTPS_PORT, published: tls.port, protocol: "tcp", mode: "host" }],
      constraints: [...tls.constraints],
      taskLabels: { [LABEL.instance]: cluster.instance, [LABEL.role]: "tls" },
      // A certificate rollover hands the port from one hitch to the next (SO_REUSEPORT): the
      // connections still queued on the closing socket move to the new one instead of a reset.
      sysctls: { "net.ipv4.tcp_migrate_req": "1" },
      // Two tasks cannot bind the same host port on one node: the old one stops first (an
      // image change; certificates change no service, see above).
      update: { order: "stop-first", failureAction: "rollback", monitorSeconds: cluster.update.monitorSeconds, parallelism: 1, delaySeconds: 0 },
    },
    volumes: { [volume.name]: { driver: volume.driver, options: { ...volume.options }, labels: { ...volumeLabels } } },
  };
  return [network, volume, ...secrets, service];
}

/** The hash a certificate secret's name and labels carry (and the terminator network's spec hash). */
export function hashOf(value: Buffer | string): string {
  return createHash("sha256").update(value).digest("hex").slice(0, SECRET_HASH_LENGTH);
}
