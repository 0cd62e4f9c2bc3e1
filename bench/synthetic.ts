import { LABEL } from "../controller/desired/labels";
import { withSpecHash } from "../controller/desired/service-hash";
import type { DesiredState, ResourceSpec } from "../controller/desired/types";
import { templateFingerprint } from "../controller/live/fingerprint";
import type { RepoFile } from "../controller/manifests/read";
import type { LiveNetwork, LiveObject, LiveSecret, LiveService, LiveState, LiveVolume } from "../controller/live/types";
import { clusterYaml, siteYaml } from "../test/support/manifests";

/**
 * A manifests repository in memory: simulium.yaml (plus `clusterExtra` cluster settings) and
 * `count` sites with web, database and a volume.
 */
export function syntheticRepo(instance: string, sitePrefix: string, count: number, clusterExtra = ""): RepoFile[] {
  const files: RepoFile[] = [{ path: "simulium.yaml", text: clusterYaml(instance, clusterExtra) }];
  for (const name of siteNames(sitePrefix, count)) files.push({ path: `sites/${name}.yaml`, text: siteYaml(name, { database: true }) });
  return files;
}

export const siteNames = (prefix: string, count: number): string[] => Array.from({ length: count }, (_, i) => `${prefix}${i}`);

/**
 * The live state the engine would report once `desired` has converged: every object in the
 * shape the live reader projects (shape = desired shape, labels = desired labels and, for
 * services, their spec hash). Sites in
 * `changed` run an older web env, as after a commit that changed them.
 */
export function liveFromDesired(desired: DesiredState, changed: ReadonlySet<string> = new Set()): LiveState {
  const live: { networks: LiveNetwork[]; volumes: LiveVolume[]; secrets: LiveSecret[]; services: LiveService[] } = {
    networks: [],
    volumes: [],
    secrets: [],
    services: [],
  };
  desired.resources.forEach((r, i) => {
    const o = liveObject(r, `id${i}`, r.site !== null && changed.has(r.site));
    if (o.kind === "network") live.networks.push(o);
    else if (o.kind === "volume") live.volumes.push(o);
    else if (o.kind === "secret") live.secrets.push(o);
    else live.services.push(o);
  });
  return { ...live, tasks: [], jobs: [] };
}

function liveObject(r: ResourceSpec, id: string, stale: boolean): LiveObject {
  const base = { id, name: r.name, site: r.site, labels: r.labels };
  switch (r.kind) {
    case "network":
      return { ...base, kind: "network", driver: r.driver, attachable: r.attachable, subnets: [] };
    case "volume":
      return { ...base, kind: "volume", driver: r.driver, options: r.options };
    case "secret":
      return { ...base, kind: "secret" };
    case "service": {
      // As apply leaves it: with the spec hash the plan gave it.
      if (!(stale && r.role === "web")) return { ...base, labels: withSpecHash(r).labels, kind: "service", version: 1, shape: r.shape, updateState: "completed", updateMessage: null, template: NO_TEMPLATE };
      const shape = { ...r.shape, env: { ...r.shape.env, SITE_VERSION: "previous" } };
      const labels = { ...r.labels, [LABEL.specHash]: "previous" };
      return { ...base, labels, kind: "service", version: 1, shape, updateState: "completed", updateMessage: null, template: NO_TEMPLATE };
    }
  }
}

/** Benchmarks read no tasks: no template is compared. */
const NO_TEMPLATE = templateFingerprint(undefined);

/** Every hundredth site (at least one): the "~1% changed" commit. */
export const onePercent = (sites: readonly string[]): Set<string> => new Set(sites.filter((_, i) => i % 100 === 0));
