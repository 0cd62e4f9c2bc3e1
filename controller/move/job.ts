import { names } from "../desired/names";
import type { ResourceSpec, ServiceSpec, VolumeSpec } from "../desired/types";
import type { ResolvedSite } from "../manifests/types";
import { MOVE_ROOT } from "./scripts";

/**
 * The spec of a move's sender or receiver job. Pure: the site rendered with the pin of the
 * node the job runs on (its volumes carry that node in their labels), the tools image and the
 * environment in, a service spec for `runJob` out.
 *
 * Every volume of the site is mounted, the database's too, at `/move/<volume name>`, with the
 * options the node's engine makes a missing one from: on the new node the receiver is the
 * first task to mount them, so they are made there, labelled as the site's on that node, and
 * the site's services find them filled when they start. Only the site's network (the sender
 * reaches the receiver by its service name; nothing else joins it) and no secret.
 */
export interface MoveJobOptions {
  readonly image: string;
  /** The node this job runs on: `node.id==` it. */
  readonly node: string;
  /** The sender only reads. */
  readonly writable: boolean;
  readonly env: Readonly<Record<string, string>>;
}

export function moveJobSpec(site: ResolvedSite, rendered: readonly ResourceSpec[], opts: MoveJobOptions): ServiceSpec {
  const web = rendered.find((r): r is ServiceSpec => r.kind === "service" && r.role === "web" && r.site === site.name);
  if (!web) throw new Error(`internal: site ${site.name} has no rendered web service`);
  const volumes = siteVolumes(site.name, rendered);
  return {
    ...web,
    shape: {
      ...web.shape,
      image: opts.image,
      args: null,
      env: { SIMULIUM_SITE: site.name, ...opts.env },
      replicas: 1,
      mounts: volumes.map((v) => ({ source: v.name, target: `${MOVE_ROOT}/${v.name}`, readOnly: !opts.writable })),
      secrets: [],
      networks: [names.siteNetwork(site.name)],
      // A large files volume must not be cut short by the web tier's limits.
      memoryBytes: null,
      nanoCpus: null,
      ports: [],
      constraints: [`node.id==${opts.node}`],
    },
    volumes: Object.fromEntries(volumes.map((v) => [v.name, { driver: v.driver, options: v.options, labels: v.labels }])),
  };
}

/** The site's volumes as rendered (the database's and those of spec.volumes), by name. */
export function siteVolumes(site: string, rendered: readonly ResourceSpec[]): VolumeSpec[] {
  return rendered.filter((r): r is VolumeSpec => r.kind === "volume" && r.site === site).sort((a, b) => a.name.localeCompare(b.name));
}
