import type Docker from "dockerode";
import { expectedTasks } from "../apply/convergence";
import { names } from "../desired/names";
import { readLive } from "../live/read";
import { everyTask } from "../live/tasks";
import type { LiveState } from "../live/types";
import { readVarnishSecret } from "./admin-secret";
import { readAcmeThumbprint } from "../state/tls-store";
import type { RoutingView } from "./gate";
import { RoutingOptions, RoutingResult, syncRouting } from "./sync";
import { runningTasksOf } from "./vcl-input-from";
import { setTimeout as sleep } from "node:timers/promises";

export interface AfterApplyOptions extends Pick<RoutingOptions, "cluster" | "sites" | "invalidSites" | "log"> {
  readonly stateDir: string;
  /** How long to wait for the Varnish tasks to run. Default 60 s. */
  readonly timeoutMs?: number;
  readonly pollMs?: number;
  /** Runs side by side (the daemon): loads one at a time, each site from the run that applied it last (routing/gate.ts). */
  readonly view?: RoutingView;
}

/**
 * After an apply: wait until the Varnish tasks run (apply may just have created or replaced
 * them), then load the VCL for the new state. null when no Varnish is configured.
 */
export async function routeAfterApply(docker: Docker, opts: AfterApplyOptions): Promise<RoutingResult | null> {
  if (opts.cluster.varnish.image === undefined) return null;
  const waited = await waitForVarnish(docker, opts);
  const own = { cluster: opts.cluster, sites: opts.sites, invalidSites: opts.invalidSites };
  const sync = async (stale: boolean): Promise<RoutingResult> => {
    // Another run loaded since the wait read the swarm: read it again, never load an older state over a newer one.
    const live = stale ? await readLive(docker, opts.cluster.instance) : waited;
    const src = opts.view?.sources(own) ?? own;
    return syncRouting(docker, {
      cluster: src.cluster,
      sites: src.sites,
      invalidSites: src.invalidSites,
      live,
      secret: readVarnishSecret(opts.stateDir, opts.cluster.instance),
      ...thumbprintOf(opts.stateDir, opts.cluster),
      log: opts.log,
    });
  };
  return opts.view ? opts.view.load(sync) : sync(false);
}

/** The ACME account's thumbprint for the VCL, when the cluster has TLS and an account exists. */
export function thumbprintOf(stateDir: string, cluster: AfterApplyOptions["cluster"]): { acmeThumbprint?: string } {
  if (cluster.tls?.acme === undefined) return {};
  const t = readAcmeThumbprint(stateDir, cluster.instance);
  return t !== undefined ? { acmeThumbprint: t } : {};
}

async function waitForVarnish(docker: Docker, opts: AfterApplyOptions): Promise<LiveState> {
  const service = names.varnishService(opts.cluster.instance);
  const deadline = Date.now() + (opts.timeoutMs ?? 60_000);
  for (;;) {
    const live = await readLive(docker, opts.cluster.instance);
    // Whatever runs by the deadline gets the VCL; a missing task is reported by apply.
    if (varnishSettled(service, live) || Date.now() > deadline) return live;
    await sleep(opts.pollMs ?? 1000);
  }
}

/**
 * Every Varnish replica runs, or is one Swarm cannot place (no node left for its host-mode
 * port: a node drained or down). Waiting for that one would hold every apply's routing for the
 * whole timeout while a node is away. Pure.
 */
export function varnishSettled(service: string, live: LiveState): boolean {
  const svc = live.services.find((s) => s.name === service);
  const want = svc === undefined ? 0 : expectedTasks(svc, everyTask(live));
  const unplaceable = svc === undefined ? 0 : everyTask(live).filter((t) => t.serviceId === svc.id && t.desiredState === "running" && t.state === "pending" && /no suitable node/.test(`${t.error ?? ""} ${t.message}`)).length;
  return runningTasksOf(service, live).length + unplaceable >= want;
}
