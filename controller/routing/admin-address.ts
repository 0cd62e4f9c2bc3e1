import type Docker from "dockerode";
import os from "node:os";
import { names } from "../desired/names";
import { isIPv4 } from "node:net";
import type { LiveState, LiveTask } from "../live/types";

/**
 * How this process reaches a Varnish task's admin port. A task it cannot reach (on another
 * node) gets its VCL through the relay job (routing/relay.ts).
 */
export type AdminRoute = { readonly via: "admin"; readonly network: string } | { readonly via: "gwbridge"; readonly containers: ReadonlyMap<string, string> };

/**
 * Varnish's admin port listens only on the instance's admin network (which no site joins) and
 * on docker_gwbridge (which only the host reaches: containers do not talk to each other on
 * it). In production the controller is a Swarm service on the admin network and reaches tasks
 * by their admin IP; a CLI on a manager host is on no overlay, and reaches the local tasks on
 * docker_gwbridge.
 */
export async function adminRoute(docker: Docker, admin: string, adminSubnets: readonly string[]): Promise<AdminRoute> {
  const local = localAddresses();
  if (local.some((ip) => adminSubnets.some((cidr) => inCidr(ip, cidr)))) return { via: "admin", network: admin };
  // docker_gwbridge is reached from the engine's own host only: elsewhere (DOCKER_HOST naming
  // a remote manager) its addresses are another machine's, or this one's own gwbridge.
  const engine = (await docker.info()) as { Swarm?: { NodeAddr?: string } };
  const nodeAddr = engine.Swarm?.NodeAddr ?? "";
  if (nodeAddr !== "" && !local.includes(nodeAddr) && !nodeAddr.startsWith("127.")) return { via: "gwbridge", containers: new Map() };
  const info = (await docker.getNetwork("docker_gwbridge").inspect()) as { Containers?: Record<string, { IPv4Address?: string }> | null };
  const containers = new Map<string, string>();
  for (const [id, c] of Object.entries(info.Containers ?? {})) {
    const ip = c.IPv4Address?.replace(/\/\d+$/, "");
    if (ip) containers.set(id, ip);
  }
  return { via: "gwbridge", containers };
}

/** The route to this instance's Varnish tasks, from where this process runs. */
export function instanceAdminRoute(docker: Docker, instance: string, live: LiveState): Promise<AdminRoute> {
  const admin = names.adminNetwork(instance);
  return adminRoute(docker, admin, subnetsOf(admin, live));
}

export function adminHost(route: AdminRoute, task: LiveTask): string | undefined {
  if (route.via === "admin") return task.addresses[route.network];
  return task.containerId === null ? undefined : route.containers.get(task.containerId);
}

/** IPv4 subnets of one of this instance's networks, from the live state. */
export function subnetsOf(network: string, live: LiveState): string[] {
  const net = live.networks.find((n) => n.name === network);
  return (net?.subnets ?? []).filter((s) => isIPv4(s.split("/")[0] ?? ""));
}

export function inCidr(ip: string, cidr: string): boolean {
  const [base, bitsText] = cidr.split("/");
  const bits = bitsText === undefined ? 32 : Number(bitsText);
  if (base === undefined || !Number.isInteger(bits) || bits < 0 || bits > 32) return false;
  const size = 2 ** (32 - bits);
  return Math.floor(ipv4Number(ip) / size) === Math.floor(ipv4Number(base) / size);
}

function ipv4Number(ip: string): number {
  return ip.split(".").reduce((acc, o) => acc * 256 + Number(o), 0);
}

function localAddresses(): string[] {
  return Object.values(os.networkInterfaces())
    .flatMap((list) => list ?? [])
    .filter((a) => a.family === "IPv4")
    .map((a) => a.address);
}
