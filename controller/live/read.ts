import type Docker from "dockerode";
import { JOB_ROLE, LABEL } from "../desired/labels";
import type { SitePin } from "../desired/placement";
import type { ApiNetwork, ApiNode, ApiSecret, ApiService, ApiTask, ApiVolume } from "../engine/api-types";
import { LazyFingerprint } from "./fingerprint";
import { shapeFromApi } from "./normalize";
import { unrecordedDataServices } from "./pins";
import type { LiveJob, LiveNetwork, LiveNode, LiveSecret, LiveService, LiveState, LiveTask, LiveVolume, TaskScope } from "./types";

/**
 * Everything this instance owns, in six list calls whatever the number of sites: each list
 * is filtered by the instance label on the engine side, and tasks by our service IDs; plus
 * the swarm's nodes (where sites' data is pinned, and whether those nodes can run it).
 * Objects without the label are never read as ours. Volumes are the engine's own: a
 * node-local volume on another node is not listed here.
 *
 * `tasks: "plan"` lists only the tasks a plan reads (see taskServiceIds): at 10,000 sites the
 * full task list is as large as the services' (30 MB of JSON) and a plan reads none of it
 * once every site's pin is recorded on its services. Status needs "all".
 */
export async function readLive(docker: Docker, instance: string, scope: TaskScope = "all"): Promise<LiveState> {
  const filters = { label: [`${LABEL.instance}=${instance}`] };
  const [networks, volumes, secrets, services, nodes, here] = await Promise.all([
    docker.listNetworks({ filters }) as Promise<ApiNetwork[]>,
    docker.listVolumes({ filters }) as Promise<{ Volumes?: ApiVolume[] | null }>,
    docker.listSecrets({ filters }) as Promise<ApiSecret[]>,
    docker.listServices({ filters }) as Promise<ApiService[]>,
    readNodes(docker),
    localNodeId(docker),
  ]);
  const objects = liveObjectsFromApi(instance, { networks, volumes: volumes.Volumes ?? [], secrets, services });
  // One call for the tasks of both the instance's services and its jobs (withTasks sorts them).
  const ids = taskServiceIds(objects, scope);
  const tasks = ids.length ? ((await docker.listTasks({ filters: { service: ids } })) as ApiTask[]) : [];
  return { ...withTasks(objects, tasks, scope), nodes, here };
}

/** What readLive lists of the engine, as the engine answers (parsed JSON). */
export interface ApiLists {
  readonly networks: readonly ApiNetwork[];
  readonly volumes: readonly ApiVolume[];
  readonly secrets: readonly ApiSecret[];
  readonly services: readonly ApiService[];
  readonly tasks: readonly ApiTask[];
}

// One-off jobs (simulium exec, crons) are the instance's but no part of the desired state:
// read as services, a reconcile would delete a running job. They are listed apart.
const isJob = (s: ApiService): boolean => s.Spec?.Labels?.[LABEL.role] === JOB_ROLE;

/** The instance's objects read from the engine's lists, before its tasks are listed. */
export interface LiveObjects {
  readonly networks: readonly LiveNetwork[];
  readonly volumes: readonly LiveVolume[];
  readonly secrets: readonly LiveSecret[];
  readonly services: readonly LiveService[];
  readonly jobServices: readonly ApiService[];
  readonly networkNames: ReadonlyMap<string, string>;
}

/**
 * The engine's lists → the instance's live state (without nodes). Pure. Objects without the
 * instance label are never read as ours.
 */
export function liveFromApi(instance: string, lists: ApiLists, scope: TaskScope = "all"): Omit<LiveState, "nodes" | "here"> {
  return withTasks(liveObjectsFromApi(instance, lists), lists.tasks, scope);
}

/** The lists but tasks → the instance's objects. Pure. */
export function liveObjectsFromApi(instance: string, lists: Omit<ApiLists, "tasks">): LiveObjects {
  const owned = (labels: Record<string, string> | null | undefined): boolean => labels?.[LABEL.instance] === instance;
  const networks = lists.networks.filter((n) => owned(n.Labels)).map(networkFromApi);
  const networkNames = new Map(networks.map((n) => [n.id, n.name]));
  const ours = lists.services.filter((s) => owned(s.Spec?.Labels));
  return {
    networks,
    volumes: lists.volumes.filter((v) => owned(v.Labels)).map(volumeFromApi),
    secrets: lists.secrets.filter((s) => owned(s.Spec?.Labels)).map(secretFromApi),
    services: ours.filter((s) => !isJob(s)).map((s) => serviceFromApi(s, networkNames)),
    jobServices: ours.filter(isJob),
    networkNames,
  };
}

/**
 * The services whose tasks a read lists, services first, then jobs: every one for "all"; for
 * "plan", the jobs (a plan removes the ones whose tasks all ended: plan/stale-jobs.ts) and the
 * data services of sites with no pin recorded on the swarm (whose running task tells where
 * their data is: live/pins.ts). Nothing else of a plan reads a task. Pure.
 */
export function taskServiceIds(objects: LiveObjects, scope: TaskScope): string[] {
  const services = scope === "all" ? objects.services : unrecordedDataServices(objects);
  return [...services.map((s) => s.id), ...objects.jobServices.map((s) => s.ID)];
}

/** The objects with the tasks listed for them (of the services taskServiceIds named). Pure. */
export function withTasks(objects: LiveObjects, tasks: readonly ApiTask[], scope: TaskScope): Omit<LiveState, "nodes" | "here"> {
  const jobIds = new Set(objects.jobServices.map((s) => s.ID));
  return {
    networks: objects.networks,
    volumes: objects.volumes,
    secrets: objects.secrets,
    services: objects.services,
    tasks: tasks.filter((t) => !jobIds.has(t.ServiceID ?? "")).map((t) => taskFromApi(t, objects.networkNames)),
    jobs: objects.jobServices.map((s) => jobFromApi(s, tasks)),
    ...(scope === "plan" ? { taskScope: scope } : {}),
  };
}

/**
 * Where one site's data is pinned (the `simulium.node` label of its services), for the
 * commands that run a job of one site outside a reconcile (exec, cron run, backup, restore):
 * a job that mounts the site's volumes must run where they are. One list call (and the
 * engine's node ID once).
 */
export async function readSitePin(docker: Docker, instance: string, site: string): Promise<SitePin | undefined> {
  const services = (await docker.listServices({ filters: { label: [`${LABEL.instance}=${instance}`, `${LABEL.site}=${site}`] } })) as ApiService[];
  const node = services.map((s) => s.Spec?.Labels?.[LABEL.node]).find((n): n is string => typeof n === "string" && n !== "");
  if (node === undefined) return undefined;
  return { node, here: node === (await localNodeId(docker)) };
}

/** An engine's node ID does not change while it stays in its swarm: asked once per client. */
const nodeIds = new WeakMap<Docker, string | null>();

async function localNodeId(docker: Docker): Promise<string | null> {
  const known = nodeIds.get(docker);
  if (known !== undefined) return known;
  const info = (await docker.info()) as { Swarm?: { NodeID?: string } };
  const id = info.Swarm?.NodeID || null;
  nodeIds.set(docker, id);
  return id;
}

export interface WatchedState {
  readonly services: readonly LiveService[];
  readonly tasks: readonly LiveTask[];
}

/**
 * The named services of this instance and their tasks only: what apply polls while it waits
 * for an update, in two list calls whose size follows the services it changed, not the number
 * of sites. Shapes and task addresses carry network IDs where a full read has names; the
 * convergence rules read neither.
 */
export async function readWatched(docker: Docker, instance: string, serviceNames: readonly string[]): Promise<WatchedState> {
  if (serviceNames.length === 0) return { services: [], tasks: [] };
  const wanted = new Set(serviceNames);
  // The engine's name filter matches prefixes: the exact names are picked here.
  const listed = (await docker.listServices({ filters: { label: [`${LABEL.instance}=${instance}`], name: [...wanted] } })) as ApiService[];
  const noNames = new Map<string, string>();
  const services = listed
    .filter((s) => s.Spec?.Labels?.[LABEL.instance] === instance && wanted.has(s.Spec?.Name ?? ""))
    .map((s) => serviceFromApi(s, noNames));
  const tasks = services.length ? ((await docker.listTasks({ filters: { service: services.map((s) => s.id) } })) as ApiTask[]) : [];
  return { services, tasks: tasks.map((t) => taskFromApi(t, noNames)) };
}

function jobFromApi(s: ApiService, tasks: readonly ApiTask[]): LiveJob {
  const labels = s.Spec?.Labels ?? {};
  return {
    id: s.ID,
    name: s.Spec?.Name ?? "",
    site: siteOf(labels),
    labels,
    tasks: tasks.filter((t) => t.ServiceID === s.ID).map((t) => ({ state: t.Status?.State ?? "unknown", timestamp: t.Status?.Timestamp ?? "" })),
  };
}

const siteOf = (labels: Record<string, string> | null | undefined): string | null => labels?.[LABEL.site] ?? null;

function networkFromApi(n: ApiNetwork): LiveNetwork {
  const labels = n.Labels ?? {};
  return {
    kind: "network",
    id: n.Id,
    name: n.Name,
    site: siteOf(labels),
    labels,
    driver: n.Driver ?? "",
    attachable: n.Attachable === true,
    subnets: (n.IPAM?.Config ?? []).map((c) => c.Subnet ?? "").filter((s) => s !== ""),
  };
}

function volumeFromApi(v: ApiVolume): LiveVolume {
  const labels = v.Labels ?? {};
  return { kind: "volume", id: v.Name, name: v.Name, site: siteOf(labels), labels, driver: v.Driver ?? "local", options: v.Options ?? {} };
}

function secretFromApi(s: ApiSecret): LiveSecret {
  const labels = s.Spec?.Labels ?? {};
  return { kind: "secret", id: s.ID, name: s.Spec?.Name ?? "", site: siteOf(labels), labels };
}

export function serviceFromApi(s: ApiService, networkNames: ReadonlyMap<string, string>): LiveService {
  const spec = s.Spec ?? {};
  const labels = spec.Labels ?? {};
  return {
    kind: "service",
    id: s.ID,
    name: spec.Name ?? "",
    site: siteOf(labels),
    labels,
    version: s.Version?.Index ?? 0,
    shape: shapeFromApi(spec, networkNames),
    updateState: s.UpdateStatus?.State ?? null,
    updateMessage: s.UpdateStatus?.Message ?? null,
    template: new LazyFingerprint(spec.TaskTemplate),
  };
}

export function taskFromApi(t: ApiTask, networkNames: ReadonlyMap<string, string>): LiveTask {
  const addresses: Record<string, string> = {};
  for (const att of t.NetworksAttachments ?? []) {
    const name = att.Network?.Spec?.Name ?? networkNames.get(att.Network?.ID ?? "") ?? "";
    const addr = att.Addresses?.[0];
    if (name && addr) addresses[name] = addr.replace(/\/\d+$/, "");
  }
  const template = new LazyFingerprint(t.Spec);
  return {
    id: t.ID,
    serviceId: t.ServiceID ?? "",
    slot: t.Slot ?? null,
    state: t.Status?.State ?? "unknown",
    desiredState: t.DesiredState ?? "unknown",
    message: t.Status?.Message ?? "",
    error: t.Status?.Err ?? null,
    image: t.Spec?.ContainerSpec?.Image ?? "",
    get fingerprint() {
      return template.fingerprint;
    },
    get constraints() {
      return template.constraints;
    },
    nodeId: t.NodeID ? t.NodeID : null,
    exitCode: t.Status?.ContainerStatus?.ExitCode ?? null,
    containerId: t.Status?.ContainerStatus?.ContainerID ?? null,
    timestamp: t.Status?.Timestamp ?? "",
    addresses,
  };
}

/** The swarm's nodes, as placement constraints see them: one list call, read only when needed. */
export async function readNodes(docker: Docker): Promise<LiveNode[]> {
  const nodes = (await docker.listNodes()) as ApiNode[];
  return nodes.map((n) => ({
    id: n.ID,
    hostname: n.Description?.Hostname ?? "",
    role: n.Spec?.Role ?? "",
    ip: n.Status?.Addr ?? "",
    os: n.Description?.Platform?.OS ?? "",
    arch: n.Description?.Platform?.Architecture ?? "",
    labels: n.Spec?.Labels ?? {},
    engineLabels: n.Description?.Engine?.Labels ?? {},
    availability: n.Spec?.Availability ?? "active",
    state: n.Status?.State ?? "unknown",
  }));
}
