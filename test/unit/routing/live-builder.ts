import { LABEL } from "../../../controller/desired/labels";
import type { LiveService, LiveState, LiveTask } from "../../../controller/live/types";

/**
 * Just enough live state for routing: services by name, tasks with an address on the network
 * Varnish reaches them on (the tools network for phpMyAdmin, the edge network for the rest). Plain data.
 */
export interface TaskDraft {
  readonly service: string;
  readonly ip?: string;
  readonly state?: string;
  readonly desiredState?: string;
  readonly containerId?: string;
}

export function live(services: readonly { name: string; labels?: Record<string, string> }[], tasks: readonly TaskDraft[], edgeSubnets = ["10.0.9.0/24"]): LiveState {
  const svc = (s: { name: string; labels?: Record<string, string> }): LiveService =>
    ({ kind: "service", id: `svc-${s.name}`, name: s.name, site: null, labels: s.labels ?? {}, version: 1, updateState: null, updateMessage: null }) as unknown as LiveService;
  const task = (t: TaskDraft, i: number): LiveTask => ({
    id: `task-${i}`,
    serviceId: `svc-${t.service}`,
    slot: i,
    state: t.state ?? "running",
    desiredState: t.desiredState ?? "running",
    message: "",
    error: null,
    image: "img",
    fingerprint: "f",
    constraints: [],
    nodeId: "node-1",
    exitCode: null,
    containerId: t.containerId ?? `ctr-${i}`,
    timestamp: "",
    addresses: t.ip ? { [t.service.endsWith("_phpmyadmin") ? "sim_tools" : "sim_edge"]: t.ip, [`${t.service.split("_")[0]}_default`]: "10.0.50.9" } : {},
  });
  return {
    networks: [{ kind: "network", id: "net-edge", name: "sim_edge", site: null, labels: { [LABEL.instance]: "sim" }, driver: "overlay", attachable: true, subnets: edgeSubnets }],
    volumes: [],
    secrets: [],
    services: services.map(svc),
    tasks: tasks.map(task),
    jobs: [],
  };
}
