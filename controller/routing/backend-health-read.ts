import type Docker from "dockerode";
import { names } from "../desired/names";
import type { LiveState } from "../live/types";
import type { ResolvedCluster } from "../manifests/types";
import { connectVarnishAdmin } from "../varnish/admin";
import { siteOfBackend, siteRoutingHealth, type SiteRoutingHealth, type TaskBackends } from "../varnish/backend-health";
import type { BackendListEntry } from "../varnish/admin-protocol";
import { labelTargets } from "../varnish/load-split";
import { heldLabel } from "../varnish/vcl-split";
import type { VarnishAdmin } from "../varnish/admin";
import { adminHost, instanceAdminRoute } from "./admin-address";
import { VARNISH_ADMIN_PORT } from "./sync";
import { runningTasksOf } from "./vcl-input-from";

export interface RoutingHealthRead {
  /** Per site, from the Varnish tasks that answered; empty when none did. */
  readonly sites: ReadonlyMap<string, SiteRoutingHealth>;
  /** Tasks that could not be asked, one line each: status still reports the others. */
  readonly errors: readonly string[];
}

/**
 * Asks every running Varnish task of the instance for its backends' probe health. Read-only
 * (`backend.list`), short timeouts: a status request must not hang on one unreachable task.
 */
export async function readRoutingHealth(docker: Docker, cluster: ResolvedCluster, live: LiveState, secret: Buffer): Promise<RoutingHealthRead> {
  const tasks = runningTasksOf(names.varnishService(cluster.instance), live);
  if (tasks.length === 0) return { sites: new Map(), errors: [] };
  const route = await instanceAdminRoute(docker, cluster.instance, live);
  const answers: TaskBackends[] = [];
  const errors: string[] = [];
  await Promise.all(
    tasks.map(async (task) => {
      const host = adminHost(route, task);
      if (host === undefined) {
        errors.push(`Varnish task ${task.id}: no admin address (via ${route.via})`);
        return;
      }
      try {
        const admin = await connectVarnishAdmin({ host, port: VARNISH_ADMIN_PORT, secret, connectTimeoutMs: 2000, commandTimeoutMs: 5000 });
        try {
          answers.push({ task: task.id, backends: await routedBackends(admin) });
        } finally {
          admin.close();
        }
      } catch (err) {
        errors.push(`Varnish task ${task.id}: ${err instanceof Error ? err.message : String(err)}`);
      }
    }),
  );
  return { sites: siteRoutingHealth(answers), errors: errors.sort() };
}

/**
 * The backends requests are routed to: those of the active VCL and of every configuration a
 * label points at (each group's VCL). Older configurations still loaded for rollback or cooling
 * down are not what serves, and a stale backend of theirs must not count; nor do the other sites'
 * backends in the old group VCL a held site (heldLabel) is kept on.
 */
export async function routedBackends(admin: VarnishAdmin): Promise<BackendListEntry[]> {
  const list = await admin.vclList();
  const held = new Map<string, Set<string>>();
  const serving = new Set(list.filter((v) => v.status === "active").map((v) => v.name));
  for (const [label, target] of labelTargets(list)) {
    if (label.startsWith("l_h_")) held.set(target, (held.get(target) ?? new Set()).add(label));
    else serving.add(target);
  }
  return (await admin.backendList("*.*")).filter((b) => {
    if (serving.has(b.vcl)) return true;
    const site = siteOfBackend(b.name);
    return site !== undefined && (held.get(b.vcl)?.has(heldLabel(site)) ?? false);
  });
}
