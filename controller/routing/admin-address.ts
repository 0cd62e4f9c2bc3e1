import type Docker from "dockerode";
import os from "node:os";
import type { LiveTask } from "../live/types";

/** How this process reaches a Varnish task's admin port. */
export type AdminRoute = { readonly via: "edge"; readonly network: string } | { readonly via: "gwbridge"; readonly containers: ReadonlyMap<string, string> };

/**
 * In production the controller is a Swarm service on the edge network and reaches tasks by
 * their edge IP. A CLI on a manager host is not on that overlay, but the host reaches every
 * local container on docker_gwbridge.
 */
export async function adminRoute(docker: Docker, edge: string, edgeSubnets: readonly string[]): Promise<AdminRoute> {
  if (localAddresses().some((ip) => edgeSubnets.some((cidr) => inCidr(ip, cidr)))) return { via: "edge", network: edge };
  const info = (await docker.getNetwork("docker_gwbridge").inspect()) as { Containers?: Record<string, { IPv4Address?: string }> | null };
  const containers = new Map<string, string>();
  for (const [id, c] of Object.entries(info.Containers ?? {})) {
    const ip = c.IPv4Address?.replace(/\/\d+$/, "");
    if (ip) containers.set(id, ip);
  }
  return { via: "gwbridge", containers };
}

export function adminHost(route: AdminRoute, task: LiveTask): string | undefined {
  if (route.via === "edge") return task.addresses[route.network];
  return task.containerId === null ? undefined : route.containers.get(task.containerId);
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
