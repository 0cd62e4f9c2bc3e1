import type { ResolvedCluster, ResolvedSite } from "../manifests/types";

/** What a VCL is rendered from besides the live tasks. */
export interface RoutingManifests {
  readonly cluster: ResolvedCluster;
  readonly sites: readonly ResolvedSite[];
  readonly invalidSites?: readonly string[];
}

/**
 * One run's way to Varnish when runs go side by side (the daemon): each load of a VCL is made
 * one at a time, from the newest manifests any run has started to apply, and from a live state
 * read after the previous load by another run. So two runs' loads never race, and an older
 * state never wins over a newer one: the run that started first (older commit) finishing last
 * still loads the newest commit's routing for the tasks as they run now.
 */
export interface RoutingView {
  /** The run starts applying these manifests (the newest, unless a later run already did). */
  admit(own: RoutingManifests): void;
  /** What to render from: the newest manifests admitted. */
  sources(own: RoutingManifests): RoutingManifests;
  /**
   * Runs a load alone. `stale`: another run (or a routing-only sync) loaded since this run's
   * last load, so a live state this run read before may predate it: read it again.
   */
  load<T>(fn: (stale: boolean) => Promise<T>): Promise<T>;
}

export interface RoutingGate {
  /** The view of run number `order` (start order: higher is newer). */
  forRun(order: number): RoutingView;
  /** A load outside any run (the daemon's routing-only sync on task events). */
  load<T>(fn: () => Promise<T>): Promise<T>;
}

export function createRoutingGate(): RoutingGate {
  let newest: { order: number; manifests: RoutingManifests } | undefined;
  let chain: Promise<unknown> = Promise.resolve();
  /** Who loaded last: a run's order, or -1 for a load outside runs. */
  let lastLoader: number | undefined;
  const exclusive = <T>(who: number, fn: (stale: boolean) => Promise<T>): Promise<T> => {
    const next = chain.then(() => {
      const stale = lastLoader !== undefined && lastLoader !== who;
      lastLoader = who;
      return fn(stale);
    });
    chain = next.catch(() => undefined);
    return next;
  };
  return {
    forRun: (order) => ({
      admit(own) {
        if (newest === undefined || order >= newest.order) newest = { order, manifests: own };
      },
      sources: (own) => (newest !== undefined && newest.order > order ? newest.manifests : own),
      load: (fn) => exclusive(order, fn),
    }),
    load: (fn) => exclusive(-1, () => fn()),
  };
}
