/** Manifest texts for integration tests: small, readable, and using the harness's local images. */

export function clusterYaml(instance: string, extra = ""): string {
  return `apiVersion: simulium/v1
kind: Cluster
spec:
  instance: ${instance}
  endpointMode: dnsrr
  update: {monitorSeconds: 2, timeoutSeconds: 180}
  defaults:
    web: {image: "simulium/web:local"}
    database: {image: "simulium/mariadb:local"}
${extra}`;
}

export interface SiteOptions {
  readonly domains?: readonly string[];
  readonly image?: string;
  readonly version?: string;
  readonly database?: boolean;
  readonly volumes?: boolean;
  readonly secretRotation?: number;
  readonly suspend?: boolean;
  readonly deletionPolicy?: "Retain" | "Delete";
  readonly replicas?: number;
  /**
   * Seconds between health checks (Varnish's probe and the web container's), 2 unless given; null
   * for the manifest default (10). Docker runs a container's first check one interval after it
   * starts, and Swarm counts the task running only then: 10 s on every web start adds minutes
   * to the suite.
   */
  readonly healthInterval?: number | null;
  /** More keys of `spec.web`, as YAML flow entries (`resources: {memory: 256M}`). */
  readonly web?: readonly string[];
  /** More keys of `spec`, as YAML lines indented by two (`  placement: {...}`). */
  readonly spec?: readonly string[];
}

export function siteYaml(name: string, o: SiteOptions = {}): string {
  const lines = [
    "apiVersion: simulium/v1",
    "kind: Site",
    `metadata: {name: ${name}}`,
    "spec:",
    `  domains: [${(o.domains ?? [`${name}.test`]).join(", ")}]`,
  ];
  if (o.suspend) lines.push("  suspend: true");
  if (o.deletionPolicy) lines.push(`  deletionPolicy: ${o.deletionPolicy}`);
  lines.push("  web:");
  if (o.image) lines.push(`    image: "${o.image}"`);
  if (o.replicas !== undefined) lines.push(`    replicas: ${o.replicas}`);
  lines.push(`    env: {SITE_VERSION: "${o.version ?? "1"}"}`);
  const interval = o.healthInterval === undefined ? 2 : o.healthInterval;
  if (interval !== null) lines.push(`    healthcheck: {interval: ${interval}, timeout: ${Math.min(interval, 5)}}`);
  for (const entry of o.web ?? []) lines.push(`    ${entry}`);
  if (o.database) lines.push("  database: {name: site, user: site}");
  if (o.volumes !== false) lines.push("  volumes:", "    - {name: files, mountPath: /var/www/html/files}");
  if (o.secretRotation !== undefined) {
    lines.push("  secrets:", `    - {name: api-key, generate: {length: 24, rotation: ${o.secretRotation}}}`);
  }
  lines.push(...(o.spec ?? []));
  return lines.join("\n") + "\n";
}
