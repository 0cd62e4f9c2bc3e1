import { LABEL } from "../controller/desired/labels";
import { withSpecHash } from "../controller/desired/service-hash";
import type { DesiredState, ResourceSpec } from "../controller/desired/types";
import { templateFingerprint } from "../controller/live/fingerprint";
import type { RepoFile } from "../controller/manifests/read";
import type { LiveNetwork, LiveNode, LiveObject, LiveSecret, LiveService, LiveState, LiveVolume } from "../controller/live/types";
import { clusterYaml, siteYaml } from "../test/support/manifests";
import { serviceSpecToApi } from "../controller/apply/service-spec";
import type { ApiNetwork, ApiSecret, ApiService, ApiTask, ApiVolume } from "../controller/engine/api-types";

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

/** The synthetic swarm's one node, the engine the plan talks to: apiFromDesired's tasks run there. */
export const SYNTHETIC_NODE: LiveNode = {
  id: "node1",
  hostname: "bench-node1",
  role: "manager",
  ip: "127.0.0.1",
  os: "linux",
  arch: "x86_64",
  labels: {},
  engineLabels: {},
  availability: "active",
  state: "ready",
};

/** Every hundredth site (at least one): the "~1% changed" commit. */
export const onePercent = (sites: readonly string[]): Set<string> => new Set(sites.filter((_, i) => i % 100 === 0));

/** The engine's answers to readLive's list calls, as the JSON bodies it sends. */
export interface ApiBodies {
  readonly networks: string;
  readonly volumes: string;
  readonly secrets: string;
  readonly services: string;
  readonly tasks: string;
}

/**
 * What the engine would answer readLive once `desired` has converged (as liveFromDesired, in
 * the engine's own form: network and secret IDs, env as a list, nanoseconds; one running task
 * per replica carrying its service's template), so a benchmark reads the swarm as `simulium
 * plan` does: the bodies parsed and normalised (live/read.ts liveFromApi). Written before the
 * clock starts: the spec hashes apply left are apply's work, not the plan's.
 */
export function apiFromDesired(desired: DesiredState, changed: ReadonlySet<string> = new Set()): ApiBodies {
  const networks: ApiNetwork[] = [];
  const volumes: ApiVolume[] = [];
  const secrets: ApiSecret[] = [];
  const services: ApiService[] = [];
  const tasks: ApiTask[] = [];
  const ids = new Map<string, string>();
  desired.resources.forEach((r, i) => ids.set(`${r.kind}/${r.name}`, `id${i}`));
  const idOf = (kind: string, name: string): string => ids.get(`${kind}/${name}`) ?? `missing-${name}`;
  const lookup = { networkId: (n: string) => idOf("network", n), secretId: (n: string) => idOf("secret", n) };
  for (const r of desired.resources) {
    const id = idOf(r.kind, r.name);
    if (r.kind === "network") networks.push({ Id: id, Name: r.name, Driver: r.driver, Attachable: r.attachable, Labels: r.labels, IPAM: { Config: [{ Subnet: "10.0.0.0/24" }] } });
    else if (r.kind === "volume") volumes.push({ Name: r.name, Driver: r.driver, Options: r.options, Labels: r.labels });
    else if (r.kind === "secret") secrets.push({ ID: id, Version: { Index: 1 }, Spec: { Name: r.name, Labels: r.labels } });
    else {
      const stale = r.site !== null && changed.has(r.site) && r.role === "web";
      const applied = stale ? { ...r, shape: { ...r.shape, env: { ...r.shape.env, SITE_VERSION: "previous" } }, labels: { ...r.labels, [LABEL.specHash]: "previous" } } : withSpecHash(r);
      const spec = serviceSpecToApi(applied, applied.labels, lookup);
      services.push({ ID: id, Version: { Index: 1 }, Spec: spec, UpdateStatus: { State: "completed", Message: "update completed" } });
      for (let slot = 1; slot <= r.shape.replicas; slot++) {
        tasks.push({
          ID: `${id}-task${slot}`,
          ServiceID: id,
          NodeID: SYNTHETIC_NODE.id,
          Slot: slot,
          DesiredState: "running",
          Spec: spec.TaskTemplate,
          Status: { Timestamp: "2026-11-30T00:00:00Z", State: "running", Message: "started", ContainerStatus: { ContainerID: `c${id}${slot}`, ExitCode: 0 } },
          NetworksAttachments: (spec.TaskTemplate?.Networks ?? []).map((n, k) => ({ Network: { ID: n.Target }, Addresses: [`10.0.${k}.${slot}/24`] })),
        });
      }
    }
  }
  return {
    networks: JSON.stringify(networks),
    volumes: JSON.stringify({ Volumes: volumes }),
    secrets: JSON.stringify(secrets),
    services: JSON.stringify(services),
    tasks: JSON.stringify(tasks),
  };
}
