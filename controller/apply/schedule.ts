import { compareSlots, SyncSlot } from "../plan/sync";

/**
 * How apply spreads a plan over the engine: the sync order (plan/sync.ts) is kept between
 * slots (a slot starts once the previous one finished) and within a site (its actions of one
 * slot run one after the other, in the plan's order), while different sites' actions of one
 * slot run side by side, at most `APPLY_CONCURRENCY` calls at a time. Nothing of one site in a
 * slot needs another site's action of the same slot: what a site's service uses (its networks,
 * its secrets, the shared edge network) is made in an earlier slot.
 */

/**
 * Calls in flight at once. The engine commits the swarm's writes one by one in its raft store,
 * so more calls at once mostly queue there, and a starved manager answers a create it queued too
 * long with DeadlineExceeded: a small number hides the round trips without flooding it. Not yet
 * tuned by measurement (docs/performance.md, figure 1b): the session's engine was too loaded.
 */
export const APPLY_CONCURRENCY = 8;

/** One slot's actions, one lane per site (the instance's shared objects are the lane of null). */
export interface Slot<T> {
  readonly slot: SyncSlot;
  readonly lanes: readonly (readonly T[])[];
}

/** Actions already in sync order → their slots in order, each with its per-site lanes in first-seen order. Pure. */
export function slotsOf<T extends SyncSlot & { readonly site: string | null }>(ordered: readonly T[]): Slot<T>[] {
  const out: { slot: SyncSlot; lanes: Map<string | null, T[]> }[] = [];
  for (const action of ordered) {
    let last = out[out.length - 1];
    if (!last || compareSlots(last.slot, action) !== 0) {
      if (last && compareSlots(last.slot, action) > 0) throw new Error(`internal: actions not in sync order (${action.phase} ${action.wave} after ${last.slot.phase} ${last.slot.wave})`);
      last = { slot: { phase: action.phase, wave: action.wave }, lanes: new Map() };
      out.push(last);
    }
    const lane = last.lanes.get(action.site);
    if (lane) lane.push(action);
    else last.lanes.set(action.site, [action]);
  }
  return out.map((s) => ({ slot: s.slot, lanes: [...s.lanes.values()] }));
}

/**
 * Runs each lane's items in order, lanes side by side, at most `limit` items at once over all
 * lanes (a free place goes to the next lane waiting, in the lanes' order). Resolves when every
 * lane is done; `run` must not throw (apply records a failure per site and goes on): a throw
 * rejects once the items already started have settled, and no further item starts.
 */
export async function runLanes<T>(lanes: readonly (readonly T[])[], limit: number, run: (item: T) => Promise<void>): Promise<void> {
  if (!Number.isInteger(limit) || limit < 1) throw new Error(`internal: concurrency must be a positive integer, got ${limit}`);
  const queue = [...lanes];
  let failed = false;
  // A worker takes a whole lane: a site's actions in one slot stay in order.
  const worker = async (): Promise<void> => {
    for (let lane = queue.shift(); lane !== undefined && !failed; lane = queue.shift()) {
      for (const item of lane) {
        if (failed) return;
        try {
          await run(item);
        } catch (err) {
          failed = true;
          throw err;
        }
      }
    }
  };
  const settled = await Promise.allSettled(Array.from({ length: Math.min(limit, lanes.length) }, worker));
  const rejected = settled.find((s): s is PromiseRejectedResult => s.status === "rejected");
  if (rejected) throw rejected.reason;
}
