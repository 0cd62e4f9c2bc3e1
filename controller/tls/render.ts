import { createHash } from "node:crypto";
import { LABEL } from "../desired/labels";
import { names, SECRET_HASH_LENGTH, VARNISH_PROXY_PORT } from "../desired/names";
import type { NetworkSpec, ResourceSpec, SecretSpec, ServiceSpec } from "../desired/types";
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

/**
 * The TLS terminator's objects: its network with Varnish, one content-named secret per
 * site's certificate, and the hitch service mounting them. Pure. No certificate yet, no
 * service: hitch does not start without one. A changed certificate is a new secret and a
 * rolling update; the old secret goes once no task uses it (apply removes superseded ones).
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
  const service: ServiceSpec = {
    kind: "service",
    site: null,
    name: names.tlsService(cluster.instance),
    role: "tls",
    labels: { ...shared, [LABEL.role]: "tls" },
    shape: {
      image: tls.image,
      args: [
        `--frontend=[*]:${HTTPS_PORT}`,
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
        ...sorted.map((c) => `/run/secrets/${names.tlsCertTarget(c.site)}`),
      ],
      env: {},
      replicas: tls.replicas,
      mounts: [],
      secrets: secrets.map((s, i) => ({ secretName: s.name, target: names.tlsCertTarget(sorted[i]?.site ?? ""), mode: 0o400 })),
      networks: [network.name],
      memoryBytes: null,
      nanoCpus: null,
      endpointMode: cluster.endpointMode,
      ports: [{ target: HTTPS_PORT, published: tls.port, protocol: "tcp", mode: "host" }],
      constraints: [],
      taskLabels: { [LABEL.instance]: cluster.instance, [LABEL.role]: "tls" },
      // Two tasks cannot bind the same host port on one node: the old one stops first.
      update: { order: "stop-first", failureAction: "rollback", monitorSeconds: cluster.update.monitorSeconds, parallelism: 1, delaySeconds: 0 },
    },
  };
  return [network, ...secrets, service];
}

function hashOf(value: Buffer | string): string {
  return createHash("sha256").update(value).digest("hex").slice(0, SECRET_HASH_LENGTH);
}
