import type Docker from "dockerode";
import { readLive } from "../live/read";
import type { LiveState } from "../live/types";
import type { RoutingView } from "./gate";
import { renderSplitVcl, splitHash } from "../varnish/vcl-split";
import type { SplitVcl } from "../varnish/vcl-split";
import { readVarnishSecret } from "./admin-secret";
import { thumbprintOf } from "./after-apply";
import { prepareRouting, RoutingOptions, RoutingResult, syncRouting } from "./sync";
import { anticipateStarting } from "./anticipate";
import { vclInputFrom } from "./vcl-input-from";

export interface RoutingFollower {
  /** Give it every live state read while apply waits for convergence. Never throws. */
  readonly onProgress: (live: LiveState) => Promise<void>;
  /** Hashes of the VCLs it loaded on every Varnish task. */
  readonly loaded: ReadonlySet<string>;
  /** Resolves once no VCL is being prepared ahead: the run's end waits for it. Never rejects. */
  readonly settled: () => Promise<void>;
}

/**
 * Routing is prepared ahead only while this few tasks start at once: one site's rollout, where
 * the compile shows in its commit → serving time. A mass converge changes the starting set on
 * every state, and most of what it would prepare would never be used.
 */
const PREPARE_MAX_STARTING = 4;

export interface FollowOptions extends Pick<RoutingOptions, "cluster" | "sites" | "invalidSites" | "log"> {
  readonly stateDir: string;
  /** Runs side by side (the daemon): loads one at a time, each site from the run that applied it last (routing/gate.ts). */
  readonly view?: RoutingView;
}

/**
 * Keeps the VCL on the tasks while apply waits for a rolling update. Swarm stops each old web
 * task as soon as its replacement runs, so the VCL must move to the new tasks during the
 * rollout, not after it: otherwise the last old task stops while the VCL lists only old ones
 * and Varnish answers 503 until apply finishes. Renders (pure, cheap) on every state and talks
 * to Varnish only when the VCL differs from the one it last loaded. A failure is logged and
 * retried on the next state; apply's final sync still runs and reports. null without Varnish.
 */
export function followRouting(docker: Docker, opts: FollowOptions): RoutingFollower | null {
  if (opts.cluster.varnish.image === undefined) return null;
  const { cluster, log, view } = opts;
  const own = { cluster, sites: opts.sites, invalidSites: opts.invalidSites };
  const secret = readVarnishSecret(opts.stateDir, cluster.instance);
  const acme = thumbprintOf(opts.stateDir, cluster);
  const loaded = new Set<string>();
  let last: string | null = null;
  const split = (live: LiveState): SplitVcl => {
    const src = view?.sources(own) ?? own;
    return renderSplitVcl(vclInputFrom({ cluster: src.cluster, sites: src.sites, invalidSites: src.invalidSites, live, ...acme }));
  };
  const render = (live: LiveState): string => splitHash(split(live));
  const load = async (given: LiveState, stale: boolean): Promise<void> => {
    // Another run loaded since: this state may be older than the one it loaded from.
    const live = stale ? await readLive(docker, cluster.instance) : given;
    const src = view?.sources(own) ?? own;
    // No waiting for a Varnish that does not listen yet: the next state retries.
    const result = await syncRouting(docker, { ...src, live, secret, log, connectRetryMs: 0, ...acme });
    // No Varnish task yet (created by this apply): nothing was loaded, try again next time.
    if (result.ok && result.tasks.length > 0 && result.vclHash !== null) {
      last = result.vclHash;
      loaded.add(result.vclHash);
    }
  };
  const prepared = new Set<string>();
  let preparing: Promise<void> | undefined;
  /**
   * A task still starting (its health check not passed yet) will need the VCL that routes it:
   * compiled now, while Swarm waits for the check, it is only relabelled when the task runs.
   * In the background: on a loaded machine a compile takes seconds, and the wait must go on
   * reading meanwhile. A sync that comes first compiles as before; a failure costs the compile
   * it would have saved.
   */
  const prepare = async (live: LiveState): Promise<void> => {
    for (const anticipated of anticipateStarting(live, PREPARE_MAX_STARTING)) {
      try {
        const vcl = split(anticipated);
        const hash = splitHash(vcl);
        if (hash === last || prepared.has(hash)) continue;
        // Tried once, done or not: an unreachable Varnish must not be retried on every state.
        prepared.add(hash);
        const count = await prepareRouting(docker, { cluster, live, vcl, secret });
        if (count > 0) log.debug({ vcls: count }, "routing: prepared the VCL of tasks still starting");
      } catch (err) {
        log.debug({ err: err instanceof Error ? err.message : String(err) }, "routing: not prepared ahead");
      }
    }
  };
  const onProgress = async (live: LiveState): Promise<void> => {
    let hash: string;
    try {
      hash = render(live);
    } catch {
      return; // Reported, with the field at fault, by the sync after apply.
    }
    if (hash !== last) {
      try {
        if (view) await view.load((stale) => load(live, stale));
        else await load(live, false);
      } catch (err) {
        log.warn({ err: err instanceof Error ? err.message : String(err) }, "routing not followed during the update");
      }
    }
    // One at a time: a later state is prepared by a later tick if this one is still compiling.
    preparing ??= prepare(live).finally(() => {
      preparing = undefined;
    });
  };
  return { onProgress, loaded, settled: async () => preparing };
}

/**
 * The sync after apply finds nothing to send when the follower already loaded the final VCL;
 * that VCL was still changed by this apply, and the result says so. Pure.
 */
export function creditFollowed(result: RoutingResult | null, follower: RoutingFollower | null): RoutingResult | null {
  if (result === null || follower === null || result.vclHash === null || !follower.loaded.has(result.vclHash)) return result;
  return { ...result, tasks: result.tasks.map((t) => (t.ok ? { ...t, changed: true } : t)) };
}
