import { DB_PASSWORD, DB_ROOT_PASSWORD, names } from "../desired/names";
import type { ResourceSpec, SecretSpec, ServiceMount, ServiceSecretRef, ServiceShape, ServiceSpec } from "../desired/types";
import type { ResolvedSite } from "../manifests/types";

/** Where a tools job sees each site volume: `/data/<volume name>`, whatever the web's mount path. */
export const TOOLS_DATA_ROOT = "/data";

export interface ToolsJobOptions {
  /** The tools image (restic + MariaDB client + rsync): harness role `backup`, or simulium.yaml's. */
  readonly image: string;
  /** A backup only reads the volumes; a restore or an import writes them. */
  readonly volumesWritable: boolean;
  readonly extraMounts?: readonly ServiceMount[];
  readonly extraSecrets?: readonly ServiceSecretRef[];
  readonly env?: Readonly<Record<string, string>>;
}

/**
 * The spec a site's backup, restore or import job runs in: the tools image on the site's own
 * network (so it reaches the database by its service name, and nothing else), every site
 * volume under /data, both database passwords (a restore swaps schemas, which needs root) and
 * the site's placement (a local volume lives on one node). Built from the site's rendered
 * resources, so the secret names are the versions the swarm has. Pure; `runJob` runs it.
 */
export function toolsJobSpec(site: ResolvedSite, rendered: readonly ResourceSpec[], opts: ToolsJobOptions): ServiceSpec {
  const web = rendered.find((r): r is ServiceSpec => r.kind === "service" && r.role === "web" && r.site === site.name);
  if (!web) throw new Error(`internal: site ${site.name} has no rendered web service`);
  const secretOf = (logical: string) => rendered.find((r): r is SecretSpec => r.kind === "secret" && r.site === site.name && r.logicalName === logical);
  const dbSecrets = site.database ? [DB_PASSWORD, DB_ROOT_PASSWORD].map(secretOf).filter((s): s is SecretSpec => s !== undefined) : [];
  const env: Record<string, string> = { SIMULIUM_SITE: site.name, SITE_VOLUMES: site.volumes.map((v) => v.name).join(" ") };
  if (site.database) {
    Object.assign(env, {
      DB_HOST: names.service(site.name, "db"),
      DB_NAME: site.database.name,
      DB_USER: site.database.user,
      DB_PASSWORD_FILE: `/run/secrets/${DB_PASSWORD}`,
      DB_ROOT_PASSWORD_FILE: `/run/secrets/${DB_ROOT_PASSWORD}`,
    });
  }
  const shape: ServiceShape = {
    ...web.shape,
    image: opts.image,
    args: null,
    env: { ...env, ...opts.env },
    replicas: 1,
    mounts: [
      ...site.volumes.map((v) => ({ source: names.volume(site.name, v.name), target: `${TOOLS_DATA_ROOT}/${v.name}`, readOnly: !opts.volumesWritable })),
      ...(opts.extraMounts ?? []),
    ],
    secrets: [...dbSecrets.map((s) => ({ secretName: s.name, target: s.logicalName })), ...(opts.extraSecrets ?? [])],
    networks: [names.siteNetwork(site.name)],
    // A dump of a large database must not be cut short by the web tier's memory limit.
    memoryBytes: null,
    nanoCpus: null,
    ports: [],
  };
  return { ...web, shape };
}
