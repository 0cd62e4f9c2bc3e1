import type Docker from "dockerode";
import { names } from "../desired/names";
import { readLive } from "../live/read";
import type { LiveState, LiveTask } from "../live/types";
import type { Logger } from "../log";
import type { ResolvedCluster, ResolvedSite } from "../manifests/types";
import { connectVarnishAdmin, VarnishConnectionError, VclCompileError } from "../varnish/admin";
import { loadSplitVcl, prepareSplitVcl } from "../varnish/load-split";
import { renderSplitVcl, splitHash } from "../varnish/vcl-split";
import type { SplitVcl } from "../varnish/vcl-split";
import { renderVcl } from "../varnish/vcl";
import type { VclInput } from "../varnish/vcl";
import { adminHost, AdminRoute, instanceAdminRoute } from "./admin-address";
import { relayTargets, relayVcl } from "./relay";
import { runningTasksOf, vclInputFrom } from "./vcl-input-from";
import { setTimeout as sleep } from "node:timers/promises";

export const VARNISH_ADMIN_PORT = 6082;
const KEEP_VCLS = 3;

export interface RoutingOptions {
  readonly cluster: ResolvedCluster;
  readonly sites: readonly ResolvedSite[];
  readonly invalidSites?: readonly string[];
  readonly live: LiveState;
  /** The admin secret's exact bytes. */
  readonly secret: Buffer;
  readonly log: Logger;
  /** The ACME account's thumbprint (state/tls-store.ts readAcmeThumbprint): Varnish answers HTTP-01 with it. */
  readonly acmeThumbprint?: string;
  /** How long to retry a Varnish that does not listen yet (just started). Default 15 s. */
  readonly connectRetryMs?: number;
}

export interface TaskRouting {
  readonly task: string;
  readonly endpoint: string | null;
  readonly ok: boolean;
  /** False when the task already ran this VCL: nothing was sent. */
  readonly changed?: boolean;
  /** The active top-level VCL. */
  readonly vclName?: string;
  /** Group labels (`l_g<groups>_<n>`) whose VCL was compiled and moved: only those groups' sites changed. */
  readonly relabelled?: readonly string[];
  readonly error?: string;
  readonly compileError?: { readonly line?: number; readonly column?: number };
}

export interface RoutingResult {
  /** splitHash of the rendered configuration (top-level VCL and every site's); null when it could not be rendered. */
  readonly vclHash: string | null;
  readonly tasks: readonly TaskRouting[];
  /** The VCL could not be rendered at all (no task was touched). */
  readonly error?: string;
  readonly ok: boolean;
}

/**
 * Renders the VCL (one per group of sites and a top-level one, vcl-split.ts) from manifests + live tasks
 * and makes it active on every running Varnish task; only sites whose VCL changed are compiled.
 * Never throws for one task's problem: a site VCL that does not compile leaves that site on its
 * running VCL and is reported per task.
 */
export async function syncRouting(docker: Docker, opts: RoutingOptions): Promise<RoutingResult> {
  const { cluster, live, log } = opts;
  let vcl: SplitVcl;
  let input: VclInput;
  try {
    input = vclInputFrom({ cluster, sites: opts.sites, invalidSites: opts.invalidSites, live, ...(opts.acmeThumbprint !== undefined ? { acmeThumbprint: opts.acmeThumbprint } : {}) });
    vcl = renderSplitVcl(input);
  } catch (err) {
    const error = `VCL not rendered: ${(err as Error).message}`;
    log.error({ err: error }, "routing not updated");
    return { vclHash: null, tasks: [], error, ok: false };
  }
  const hash = splitHash(vcl);
  const tasks = runningTasksOf(names.varnishService(cluster.instance), live);
  if (tasks.length === 0) return { vclHash: hash, tasks: [], ok: true };
  const route = await instanceAdminRoute(docker, cluster.instance, live);
  const whole = () => renderVcl(input);
  const unreachable = tasks.filter((t) => adminHost(route, t) === undefined);
  // All at once: each task compiles on its own node, so a change is live everywhere after one
  // compile, not one per task in turn.
  const results: TaskRouting[] = await Promise.all(tasks.filter((t) => adminHost(route, t) !== undefined).map((t) => syncTask(t, route, vcl, whole, opts)));
  // A task the controller reaches only through a relay job (another node) gets the whole
  // configuration as one VCL: the relay loads one VCL, and one compile there is the short way.
  if (unreachable.length > 0) results.push(...(await relayed(docker, unreachable, tasks, whole(), opts)));
  return { vclHash: hash, tasks: results, ok: results.every((r) => r.ok) };
}

/**
 * Compiles ahead, on every Varnish task of `live` the controller reaches directly, `vcl`: the
 * routing rendered for the state once its starting tasks run (routing/anticipate.ts), so the
 * sync then moves labels only. Best effort: nothing is reported, a failure costs the compile
 * it would have saved.
 */
export async function prepareRouting(docker: Docker, opts: { readonly cluster: ResolvedCluster; readonly live: LiveState; readonly vcl: SplitVcl; readonly secret: Buffer }): Promise<number> {
  const { cluster, live, vcl } = opts;
  const route = await instanceAdminRoute(docker, cluster.instance, live);
  const hosts = runningTasksOf(names.varnishService(cluster.instance), live).flatMap((t) => adminHost(route, t) ?? []);
  const prepared = await Promise.all(
    hosts.map(async (host) => {
      // Short: a Varnish that does not answer at once is not worth the wait of a best effort.
      const admin = await connectVarnishAdmin({ host, port: VARNISH_ADMIN_PORT, secret: opts.secret, connectTimeoutMs: 1_000 });
      try {
        return (await prepareSplitVcl(admin, vcl)).length;
      } finally {
        admin.close();
      }
    }),
  );
  return prepared.reduce((a, b) => a + b, 0);
}

/** Reads the live state itself: what the daemon calls on task events. */
export async function syncRoutingNow(docker: Docker, opts: Omit<RoutingOptions, "live">): Promise<RoutingResult> {
  return syncRouting(docker, { ...opts, live: await readLive(docker, opts.cluster.instance) });
}

async function syncTask(task: LiveTask, route: AdminRoute, vcl: SplitVcl, whole: () => string, opts: RoutingOptions): Promise<TaskRouting> {
  const host = adminHost(route, task);
  if (host === undefined) {
    const error = `no admin address for Varnish task ${task.id} (via ${route.via})`;
    opts.log.error({ task: task.id, err: error }, "routing not updated");
    return { task: task.id, endpoint: null, ok: false, error };
  }
  const endpoint = `${host}:${VARNISH_ADMIN_PORT}`;
  try {
    const admin = await connectWithRetry(host, opts.secret, opts.connectRetryMs ?? 15_000);
    try {
      const r = await loadSplitVcl(admin, vcl, { keep: KEEP_VCLS, whole });
      if (r.changed) opts.log.info({ task: task.id, endpoint, via: route.via, vcl: r.name, groups: r.relabelled, discarded: r.discarded }, "routing: VCL loaded");
      const done = { task: task.id, endpoint, changed: r.changed, vclName: r.name, relabelled: r.relabelled };
      const first = r.failed[0];
      if (first === undefined) return { ...done, ok: true };
      const error = r.failed
        .map((f) => `site ${f.site} (${f.label}): ${f.error.message}\n${f.lastGood ? "it keeps routing with its last VCL" : "it answers 503 until its VCL compiles"}`)
        .join("\n");
      opts.log.error({ task: task.id, endpoint, err: error }, "routing not updated for some sites on this Varnish task");
      return { ...done, ok: false, error, compileError: { line: first.error.line, column: first.error.column } };
    } finally {
      admin.close();
    }
  } catch (err) {
    const error = err instanceof Error ? err.message : String(err);
    opts.log.error({ task: task.id, endpoint, err: error }, "routing not updated on this Varnish task");
    const compileError = err instanceof VclCompileError ? { line: err.line, column: err.column } : undefined;
    return { task: task.id, endpoint, ok: false, error, ...(compileError ? { compileError } : {}) };
  }
}

/** Tasks on other nodes (or all, off the swarm's nodes): through the relay (relay.ts) on the admin network. */
async function relayed(docker: Docker, tasks: readonly LiveTask[], varnish: readonly LiveTask[], vcl: string, opts: RoutingOptions): Promise<TaskRouting[]> {
  if (tasks.length === 0) return [];
  const admin = names.adminNetwork(opts.cluster.instance);
  const { relayed: targets, unaddressed } = relayTargets(tasks, admin);
  const network = opts.live.networks.find((n) => n.name === admin);
  const out: TaskRouting[] = unaddressed.map((t) => {
    const error = `no admin address for Varnish task ${t.id} (not on ${admin})`;
    opts.log.error({ task: t.id, err: error }, "routing not updated");
    return { task: t.id, endpoint: null, ok: false, error };
  });
  if (targets.length === 0) return out;
  if (network === undefined) return [...out, ...targets.map((t) => ({ task: t.task, endpoint: null, ok: false, error: `the admin network ${admin} does not exist` }))];
  const outcomes = await relayVcl(docker, { varnishService: names.varnishService(opts.cluster.instance), adminNetworkId: network.id, tasks: targets, varnish, vcl, keep: KEEP_VCLS, log: opts.log });
  for (const o of outcomes) {
    if (o.ok && o.changed) opts.log.info({ task: o.task, vcl: o.vclName, via: "relay" }, "routing: VCL loaded");
    if (!o.ok) opts.log.error({ task: o.task, err: o.error }, "routing not updated on this Varnish task");
  }
  return [
    ...out,
    ...outcomes.map((o): TaskRouting => ({ task: o.task, endpoint: `${o.ip}:${VARNISH_ADMIN_PORT} (relay${o.via ? ` by ${o.via}` : ""})`, ok: o.ok, ...(o.changed !== undefined ? { changed: o.changed } : {}), ...(o.vclName ? { vclName: o.vclName } : {}), ...(o.error ? { error: o.error } : {}) })),
  ];
}

/** A task reported running may not listen on its admin port for a moment yet. */
async function connectWithRetry(host: string, secret: Buffer, retryMs: number) {
  const deadline = Date.now() + retryMs;
  for (;;) {
    try {
      return await connectVarnishAdmin({ host, port: VARNISH_ADMIN_PORT, secret });
    } catch (err) {
      const transient = err instanceof VarnishConnectionError && (err.problem === "refused" || err.problem === "closed");
      if (!transient || Date.now() > deadline) throw err;
      await sleep(500);
    }
  }
}
