import { renderSite } from "../desired/render";
import type { ResourceSpec, ServiceSpec } from "../desired/types";
import { toolsJobSpec } from "../jobs/tools-job";
import type { LoadResult, ResolvedCluster, ResolvedSite } from "../manifests/types";
import { ImportError } from "./errors";

export interface ImportRequest {
  readonly site: string;
  readonly db?: string;
  readonly files?: string;
  readonly volume?: string;
  readonly image?: string;
  /** Where the manifests were read from, for messages. */
  readonly repo: string;
}

export interface ImportPlan {
  readonly site: ResolvedSite;
  readonly cluster: ResolvedCluster;
  readonly rendered: readonly ResourceSpec[];
  readonly image: string;
  readonly withDb: boolean;
  /** The volume (name in spec.volumes) the files go into. */
  readonly volume?: string;
}

/**
 * What an import of the request would do, or the error that says why it cannot: the site has
 * a valid manifest, a database when a dump is given, the volume the files go into, and a tools
 * image (`--image`, else simulium.yaml's spec.backup.image). Pure.
 */
export function planImport(load: LoadResult, cluster: ResolvedCluster, req: ImportRequest): ImportPlan {
  if (req.db === undefined && req.files === undefined) throw new ImportError("nothing to import: give --db DUMP and/or --files DIR_OR_TAR");
  const site = load.sites.find((s) => s.name === req.site);
  if (!site) {
    const why = load.invalidSites.includes(req.site) ? "has an invalid manifest (simulium validate shows why)" : `has no manifest in ${req.repo}/sites`;
    throw new ImportError(`site ${req.site} ${why}`);
  }
  if (req.db !== undefined && !site.database) throw new ImportError(`site ${site.name} has no database (spec.database): it cannot take --db`);
  if (req.volume !== undefined && req.files === undefined) throw new ImportError("--volume says where --files go: give --files too");
  let volume: string | undefined;
  if (req.files !== undefined) {
    const names = site.volumes.map((v) => v.name);
    if (names.length === 0) throw new ImportError(`site ${site.name} has no volume (spec.volumes) to import files into`);
    volume = req.volume ?? names[0];
    if (!names.includes(volume)) throw new ImportError(`site ${site.name} has no volume ${volume} (its volumes: ${names.join(", ")})`);
  }
  const image = req.image ?? cluster.backup?.image;
  if (!image) throw new ImportError("no tools image to run the import in: pass --image (an image with the MariaDB client, gzip, tar and rsync) or set spec.backup.image in simulium.yaml");
  return { site, cluster, rendered: renderSite(site, cluster), image, withDb: req.db !== undefined, ...(volume ? { volume } : {}) };
}

/** The import job's service: the site's tools job, volumes writable, pinned to this node. Pure. */
export function importJobSpec(plan: ImportPlan, nodeId: string, env: Readonly<Record<string, string>>): ServiceSpec {
  const spec = toolsJobSpec(plan.site, plan.rendered, { image: plan.image, volumesWritable: true, env });
  return { ...spec, shape: { ...spec.shape, constraints: [...spec.shape.constraints, `node.id==${nodeId}`] } };
}
