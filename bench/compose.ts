import { stringify } from "yaml";
import type { DesiredState, ResourceSpec, ServiceSpec } from "../controller/desired/types";

/**
 * The baseline's input: the same desired state written as one compose v3.8 file per site, so
 * `docker stack deploy` is asked for exactly what simulium converges (names included: stack S
 * with service `web` is `S_web`, network `default` is `S_default`, volume `files` is `S_files`).
 */
export interface StackFile {
  readonly stack: string;
  readonly compose: ComposeFile;
}

export interface ComposeFile {
  readonly version: "3.8";
  readonly services: Record<string, ComposeService>;
  readonly networks: Record<string, ComposeNetwork>;
  readonly volumes: Record<string, { readonly labels: Record<string, string> }>;
  readonly secrets: Record<string, { readonly name: string; readonly file: string; readonly labels: Record<string, string> }>;
}

type ComposeNetwork =
  | { readonly driver: string; readonly attachable: boolean; readonly labels: Record<string, string> }
  | { readonly external: true; readonly name: string };

export interface ComposeService {
  readonly image: string;
  readonly command?: string[];
  readonly environment: Record<string, string>;
  readonly labels: Record<string, string>;
  readonly networks: string[];
  readonly volumes: { type: "volume"; source: string; target: string; read_only: boolean }[];
  readonly secrets: { source: string; target: string }[];
  readonly healthcheck?: { test: string[]; interval: string; timeout: string; retries: number; start_period: string };
  readonly stop_grace_period?: string;
  readonly deploy: Record<string, unknown>;
}

/** Where the baseline keeps a secret's value: compose reads secrets from files. */
export type SecretFile = (secretName: string) => string;

/** DesiredState → one compose file per site (the shared edge network is external). Pure. */
export function composeFiles(desired: DesiredState, secretFile: SecretFile): StackFile[] {
  const bySite = new Map<string, ResourceSpec[]>();
  for (const r of desired.resources) {
    if (r.site === null) continue;
    bySite.set(r.site, [...(bySite.get(r.site) ?? []), r]);
  }
  const edge = `${desired.instance}_edge`;
  return [...bySite.entries()].map(([site, resources]) => ({ stack: site, compose: siteCompose(site, resources, edge, secretFile) }));
}

const local = (site: string, name: string): string => {
  const prefix = `${site}_`;
  if (!name.startsWith(prefix)) throw new Error(`internal: ${name} is not named after stack ${site}`);
  return name.slice(prefix.length);
};

function siteCompose(site: string, resources: readonly ResourceSpec[], edge: string, secretFile: SecretFile): ComposeFile {
  const out: ComposeFile = { version: "3.8", services: {}, networks: {}, volumes: {}, secrets: {} };
  for (const r of resources) {
    switch (r.kind) {
      case "network":
        out.networks[local(site, r.name)] = { driver: r.driver, attachable: r.attachable, labels: { ...r.labels } };
        break;
      case "volume":
        out.volumes[local(site, r.name)] = { labels: { ...r.labels } };
        break;
      case "secret":
        // Keyed by the logical name; `name` keeps the versioned Swarm name simulium would use.
        out.secrets[r.logicalName] = { name: r.name, file: secretFile(r.name), labels: { ...r.labels } };
        break;
      case "service":
        out.services[local(site, r.name)] = composeService(site, r, edge, resources);
        break;
    }
  }
  if (Object.values(out.services).some((s) => s.networks.includes("edge"))) out.networks.edge = { external: true, name: edge };
  return out;
}

function composeService(site: string, spec: ServiceSpec, edge: string, resources: readonly ResourceSpec[]): ComposeService {
  const s = spec.shape;
  const logical = new Map(resources.flatMap((r) => (r.kind === "secret" ? [[r.name, r.logicalName] as const] : [])));
  const limits: Record<string, string> = {};
  if (s.nanoCpus !== null) limits.cpus = String(s.nanoCpus / 1e9);
  if (s.memoryBytes !== null) limits.memory = `${s.memoryBytes}b`;
  return {
    image: s.image,
    ...(s.args ? { command: [...s.args] } : {}),
    environment: { ...s.env },
    labels: { ...s.taskLabels },
    networks: s.networks.map((n) => (n === edge ? "edge" : local(site, n))),
    volumes: s.mounts.map((m) => ({ type: "volume" as const, source: local(site, m.source), target: m.target, read_only: m.readOnly })),
    secrets: s.secrets.map((r) => ({ source: logical.get(r.secretName) ?? r.secretName, target: r.target })),
    // The same health checks: a start-first update then waits for the new task's check, as simulium's does.
    ...(s.healthcheck === undefined
      ? {}
      : {
          healthcheck: {
            // `$` is compose's interpolation: `$$` stands for one.
            test: s.healthcheck.test.map((t) => t.replace(/\$/g, "$$$$")),
            interval: `${s.healthcheck.intervalSeconds}s`,
            timeout: `${s.healthcheck.timeoutSeconds}s`,
            retries: s.healthcheck.retries,
            start_period: `${s.healthcheck.startPeriodSeconds}s`,
          },
        }),
    ...(s.stopGracePeriodSeconds === undefined ? {} : { stop_grace_period: `${s.stopGracePeriodSeconds}s` }),
    deploy: {
      replicas: s.replicas,
      endpoint_mode: s.endpointMode,
      labels: { ...spec.labels },
      placement: { constraints: [...s.constraints] },
      update_config: { parallelism: s.update.parallelism, delay: `${s.update.delaySeconds}s`, order: s.update.order, failure_action: s.update.failureAction, monitor: `${s.update.monitorSeconds}s` },
      ...(Object.keys(limits).length ? { resources: { limits } } : {}),
    },
  };
}

export const composeText = (file: ComposeFile): string => stringify(file);
