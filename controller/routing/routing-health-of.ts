import type Docker from "dockerode";
import type { LiveState } from "../live/types";
import type { ResolvedCluster } from "../manifests/types";
import { readVarnishSecret } from "./admin-secret";
import { readRoutingHealth, type RoutingHealthRead } from "./backend-health-read";

/**
 * Routing health for status (CLI and daemon): nothing to ask without a managed Varnish, and
 * an unreadable admin secret is one error, never a reason for status itself to fail.
 */
export async function routingHealthOf(docker: Docker, cluster: ResolvedCluster, live: LiveState, stateDir: string): Promise<RoutingHealthRead | null> {
  if (!cluster.varnish.image) return null;
  let secret: Buffer;
  try {
    secret = readVarnishSecret(stateDir, cluster.instance);
  } catch (err) {
    return { sites: new Map(), errors: [`the Varnish admin secret cannot be read: ${err instanceof Error ? err.message : String(err)}`] };
  }
  try {
    return await readRoutingHealth(docker, cluster, live, secret);
  } catch (err) {
    return { sites: new Map(), errors: [`Varnish could not be asked: ${err instanceof Error ? err.message : String(err)}`] };
  }
}
