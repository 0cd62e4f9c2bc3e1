import { LABEL } from "../desired/labels";
import type { LiveService, LiveState } from "./types";

export interface LivePins {
  /** Site → the node its data is pinned to, as recorded on the swarm. */
  readonly pinned: ReadonlyMap<string, string>;
  /** Sites with data services on the swarm but no recorded pin and no task running to tell where their data is. */
  readonly unpinnable: ReadonlySet<string>;
}

type Recorded = Pick<LiveState, "services" | "secrets" | "volumes">;

/**
 * Where each site's data is, read back from the swarm every reconcile (never from a file of
 * the controller, which a fresh controller would not have): the `simulium.node` label of its
 * services, else of its secrets or volumes (which a removed site with retained data keeps).
 * A site deployed before pinning existed has its data where its data services run: the node
 * of their running task is adopted as its pin. Pure.
 */
export function livePins(live: LiveState): LivePins {
  const pinned = recordedPins(live);
  const dataServices = unrecordedDataServices(live, pinned);
  // The database's node first: where a site's services ran on several, its data is the database.
  for (const role of ["db", null]) {
    const siteOf = new Map(dataServices.filter((s) => role === null || s.labels[LABEL.role] === role).map((s) => [s.id, s.site as string]));
    for (const t of live.tasks) {
      const site = siteOf.get(t.serviceId);
      if (site !== undefined && t.state === "running" && t.nodeId !== null && !pinned.has(site)) pinned.set(site, t.nodeId);
    }
  }
  const unpinnable = new Set<string>();
  for (const s of dataServices) if (!pinned.has(s.site as string)) unpinnable.add(s.site as string);
  return { pinned, unpinnable };
}

/**
 * The services whose tasks livePins reads: those that mount something, of sites with no pin
 * recorded on the swarm (a site deployed before pinning existed). A plan needs no other task
 * for pins (live/read.ts reads only these, and the jobs', for a plan). Pure.
 */
export function unrecordedDataServices(live: Recorded, pinned: ReadonlyMap<string, string> = recordedPins(live)): LiveService[] {
  return live.services.filter((s) => s.site !== null && !pinned.has(s.site) && s.shape.mounts.length > 0);
}

function recordedPins(live: Recorded): Map<string, string> {
  const pinned = new Map<string, string>();
  const record = (site: string | null, labels: Readonly<Record<string, string>>): void => {
    const node = labels[LABEL.node];
    if (site !== null && node && !pinned.has(site)) pinned.set(site, node);
  };
  // Services first: their labels follow the manifest; secrets and volumes keep the day they were made.
  for (const s of live.services) record(s.site, s.labels);
  for (const o of [...live.secrets, ...live.volumes]) record(o.site, o.labels);
  return pinned;
}
