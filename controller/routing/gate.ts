import type { ResolvedCluster, ResolvedSite } from "../manifests/types";

/** What a VCL is rendered from besides the live tasks. */
export interface RoutingManifests {
  readonly cluster: ResolvedCluster;
  readonly sites: readonly ResolvedSite[];
  readonly invalidSites?: readonly string[];
}

/**
 * One run's way to Varnish when runs go side by side (the daemon): each load of a VCL is made
 * one at a time, from a live state read after the previous load by another run, and each
 * site's part from the manifests of the run that owns the site: the one that applied it last.
 * A site an older run still rolls out (a new port, a new health check) keeps that run's
 * manifest while a newer run changes other sites; rendering it from the newer commit would
 * route to a port or probe its tasks do not have yet (503). So two runs' loads never race,
 * and no site is routed by a manifest that is not the one applied to it.
 */
export interface RoutingView {
  /**
   * The run starts applying `own` to the sites `applies` (those its plan changes). An ordinary
   * run's manifests are also the ones every site it left alone runs (its plan found nothing to
   * change), unless a newer run changes that site since.
   */
  admit(own: RoutingManifests, applies: ReadonlySet<string>): void;
  /** What to render from: each site from its owner, the instance's settings from the newest run admitted. */
  sources(own: RoutingManifests): RoutingManifests;
  /**
   * Runs a load alone. `stale`: another run (or a routing-only sync) loaded since this run's
   * last load, so a live state this run read before may predate it: read it again.
   */
  load<T>(fn: (stale: boolean) => Promise<T>): Promise<T>;
}

export interface RoutingGate {
  /**
   * The view of run number `order` (start order: higher is newer). `whole`: an ordinary run,
   * which plans every site (one started beside it applies only the sites it takes).
   */
  forRun(order: number, whole: boolean): RoutingView;
  /** A load outside any run (the daemon's routing-only sync on task events). */
  load<T>(fn: () => Promise<T>): Promise<T>;
}

interface Admitted {
  readonly order: number;
  readonly manifests: RoutingManifests;
}

/** Who owns what: the newest ordinary run's manifests, the newest run's, and each site's owner since. */
export interface Owners {
  readonly base: Admitted | undefined;
  readonly newest: Admitted | undefined;
  readonly sites: ReadonlyMap<string, Admitted>;
}

export const noOwners: Owners = { base: undefined, newest: undefined, sites: new Map() };

/** The owners after run `run` (an ordinary one when `whole`) is admitted to change `applies`. Pure. */
export function admitOwner(owners: Owners, run: Admitted, whole: boolean, applies: ReadonlySet<string>): Owners {
  const newest = owners.newest === undefined || run.order >= owners.newest.order ? run : owners.newest;
  const base = whole && (owners.base === undefined || run.order >= owners.base.order) ? run : owners.base;
  const sites = new Map<string, Admitted>();
  // A site owned by a run no newer than the ordinary one's is that run's again: its plan left it as it is.
  for (const [site, o] of owners.sites) if (base === undefined || o.order > base.order) sites.set(site, o);
  for (const site of applies) {
    const o = sites.get(site);
    if (o === undefined || run.order >= o.order) {
      if (base === undefined || run.order > base.order) sites.set(site, run);
      else sites.delete(site);
    }
  }
  return { base, newest, sites };
}

/** The manifests a VCL renders from: each site's from its owner, the instance's from the newest run. Pure. */
export function composeOwned(owners: Owners, own: RoutingManifests): RoutingManifests {
  const fallback = owners.base ?? owners.newest;
  if (fallback === undefined || owners.newest === undefined) return own;
  if (owners.sites.size === 0 && fallback === owners.newest) return fallback.manifests;
  const ownerOf = (site: string): RoutingManifests => owners.sites.get(site)?.manifests ?? fallback.manifests;
  const names = new Set<string>([...fallback.manifests.sites.map((s) => s.name), ...(fallback.manifests.invalidSites ?? []), ...owners.sites.keys()]);
  const sites: ResolvedSite[] = [];
  const invalidSites: string[] = [];
  for (const name of names) {
    const m = ownerOf(name);
    const site = m.sites.find((s) => s.name === name);
    if (site !== undefined) sites.push(site);
    else if (m.invalidSites?.includes(name)) invalidSites.push(name);
    // Neither: its owner removed it.
  }
  return { cluster: owners.newest.manifests.cluster, sites, invalidSites };
}

export function createRoutingGate(): RoutingGate {
  let owners = noOwners;
  /** The composition for the current owners, made once per admission (a follower renders on every state). */
  let composed: RoutingManifests | undefined;
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
    forRun: (order, whole) => ({
      admit(own, applies) {
        owners = admitOwner(owners, { order, manifests: own }, whole, applies);
        composed = undefined;
      },
      sources(own) {
        if (owners.newest === undefined) return own;
        composed ??= composeOwned(owners, own);
        return composed;
      },
      load: (fn) => exclusive(order, fn),
    }),
    load: (fn) => exclusive(-1, () => fn()),
  };
}
