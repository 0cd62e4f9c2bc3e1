import { evaluateService, expectedTasks } from "../apply/convergence";
import { LABEL } from "../desired/labels";
import { livePins } from "../live/pins";
import { everyTask } from "../live/tasks";
import type { LiveState } from "../live/types";
import { unavailable } from "../plan/placement";
import type { Plan } from "../plan/types";
import { degradedReason, type SiteRoutingHealth } from "../varnish/backend-health";

export type SiteHealth = "converged" | "degraded" | "progressing" | "failed" | "retained" | "drifted" | "suspended" | "invalid" | "pending";

export interface SiteStatus {
  readonly site: string;
  readonly state: SiteHealth;
  readonly commit: string | null;
  readonly tasks: { readonly running: number; readonly desired: number };
  readonly lastError: string | null;
  /** What Varnish reported of the site's backends, when it could be asked and routes the site. */
  readonly routing?: Omit<SiteRoutingHealth, "site">;
  /** The node the site's data is pinned to, when it has one and the swarm's nodes were read. */
  readonly node?: PinnedNode;
}

export interface PinnedNode {
  readonly id: string;
  /** The node's hostname, or its ID when the swarm no longer lists it. */
  readonly hostname: string;
  /** Why it cannot run the site's tasks now (`drained`, `down`, `not in the swarm`, ...), or null. */
  readonly unavailable: string | null;
}

/**
 * Per-site status from the live swarm, and, when the manifests could be read, the plan
 * (which knows about drift, suspended and invalid sites, and sites not created yet), and, when
 * Varnish could be asked, its backends' probe health: Swarm may run every task of a site whose
 * health path fails, and Varnish then answers its visitors 503. Pure.
 */
export function siteStatuses(live: LiveState, plan: Plan | null, routing?: ReadonlyMap<string, SiteRoutingHealth>): SiteStatus[] {
  // A plan's read lists only the tasks the plan needs: every service would count none running.
  everyTask(live);
  const sites = new Set<string>();
  for (const o of [...live.services, ...live.volumes, ...live.secrets, ...live.networks]) if (o.site) sites.add(o.site);
  for (const s of plan?.sites ?? []) sites.add(s.site);
  const pinned = livePins(live).pinned;
  return [...sites].sort().map((site) => withRoutingHealth(statusOf(site, live, plan, pinnedNode(pinned.get(site), live)), routing?.get(site)));
}

/**
 * The node a site's data is pinned to and whether it can run the site's tasks: when it cannot,
 * its data services wait there (never started empty elsewhere), so the site is degraded until
 * the node is back.
 */
function pinnedNode(node: string | undefined, live: LiveState): PinnedNode | undefined {
  if (node === undefined || live.nodes === undefined) return undefined;
  const found = live.nodes.find((n) => n.id === node);
  return { id: node, hostname: found?.hostname || node, unavailable: unavailable(found) };
}

function statusOf(site: string, live: LiveState, plan: Plan | null, node: PinnedNode | undefined): SiteStatus {
  const nodeDown = node === undefined || node.unavailable === null ? null : `node ${node.hostname} unavailable (${node.unavailable})`;
  const services = live.services.filter((s) => s.site === site);
  let running = 0;
  let desired = 0;
  let failed: string | null = null;
  let progressing = false;
  for (const s of services) {
    // Against its own current spec: is what Swarm was last told to run actually running?
    const verdict = evaluateService(s, everyTask(live), { replicas: s.shape.replicas });
    running += verdict.running;
    desired += expectedTasks(s, everyTask(live));
    if (verdict.state === "failed") failed = failed ?? `${s.name}: ${verdict.reason}`;
    if (verdict.state === "progressing") progressing = true;
  }
  const web = services.find((s) => s.labels[LABEL.role] === "web") ?? services[0];
  const planned = plan?.sites.find((p) => p.site === site)?.state;
  const drifted = plan?.actions.some((a) => a.site === site && a.op === "update" && a.drift) ?? false;
  // An update Swarm rolled back stays a failure until the manifest changes or it is retried,
  // even once the rolled-back service looks healthy again.
  const held = plan?.actions.find((a) => a.site === site && a.op === "update" && a.held);
  if (held && held.op === "update" && !failed) failed = `${held.name}: update rolled back: ${held.heldReason ?? "no reason recorded"}`;
  let state: SiteHealth;
  if (planned === "suspended") state = "suspended";
  else if (planned === "invalid") state = "invalid";
  else if (services.length === 0) state = planned === "changed" ? "pending" : "retained";
  else if (nodeDown) state = "degraded";
  else if (failed) state = "failed";
  else if (progressing) state = "progressing";
  else if (drifted) state = "drifted";
  else state = "converged";
  return { site, state, commit: web?.labels[LABEL.commit] ?? null, tasks: { running, desired }, lastError: nodeDown ?? failed, ...(node ? { node } : {}) };
}

/**
 * A status (or the daemon's record of one) with Varnish's view of the site's backends. Only a site
 * that otherwise looks fine turns degraded: failed or progressing already explain a 503.
 */
export function withRoutingHealth<T extends { readonly state: SiteHealth; readonly lastError: string | null }>(
  status: T,
  health: SiteRoutingHealth | undefined,
): T & { readonly routing?: Omit<SiteRoutingHealth, "site"> } {
  if (health === undefined) return status;
  const { site: _site, ...routing } = health;
  const reason = degradedReason(health);
  const degrade = reason !== null && (status.state === "converged" || status.state === "drifted");
  return { ...status, ...(degrade ? { state: "degraded" as const, lastError: reason } : {}), routing };
}
