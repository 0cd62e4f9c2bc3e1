import type { Plan } from "../plan/types";
import { claimsFromOthers, planChanges } from "../plan/changes";
import type { Admission, RunScope } from "../reconcile/scope";

/**
 * Which sites each reconcile in flight is changing, so that runs can go side by side without
 * ever touching the same thing: a site is changed by one run at a time, and the instance's
 * shared objects (Varnish, the edge network, controller secrets) only by a run that is alone.
 *
 * A `full` run is the daemon's ordinary run (it starts when nothing else runs). A `partial` run
 * is one started while others are in flight (single-flight.ts): it takes only the sites it
 * changes that no other run has, never a shared object, and leaves the rest to the full run
 * that follows every partial one.
 */
export interface ClaimView {
  /** Start order: a run waits only for runs that started before it. */
  readonly id: number;
  /** planning: its sites are not known yet; admitted: it is changing `sites` (and `shared`); idle: nothing. */
  readonly state: "planning" | "admitted" | "idle";
  readonly sites: ReadonlySet<string>;
  readonly shared: boolean;
}

export type Decision =
  | { readonly kind: "admit"; readonly sites: ReadonlySet<string>; readonly shared: boolean; readonly except: readonly string[] }
  | { readonly kind: "defer"; readonly why: string }
  /** Blocked by another run: wait until it moves, then plan again. */
  | { readonly kind: "wait"; readonly on: number };

/**
 * What run `self` may apply of `plan`, the other runs in flight being `others`, and `written`
 * the highest run that was admitted to change each site. A site a later run changed is left
 * out: that run applied a newer commit's manifest (runs take their number right after their
 * fetch, and fetches are one at a time), and an older run acting on it again (a full run's
 * second pass after a certificate order) would undo it: delete a site it created, take back a
 * revert. The follow-up run, the newest, applies it. Pure.
 */
export function decide(self: { readonly id: number; readonly partial: boolean }, plan: Plan, others: readonly ClaimView[], written: ReadonlyMap<string, number> = new Map()): Decision {
  const earlier = others.find((o) => o.state === "planning" && o.id < self.id);
  // An earlier run's plan goes first: it may take sites or shared objects this one wants.
  if (earlier) return { kind: "wait", on: earlier.id };
  const admitted = others.filter((o) => o.state === "admitted");
  const taken = new Set(admitted.flatMap((o) => [...o.sites]));
  const { sites, shared } = planChanges(plan);
  for (const s of sites) if ((written.get(s) ?? 0) > self.id) taken.add(s);
  const mine = new Set([...sites].filter((s) => !taken.has(s)));
  const except = [...taken].sort();
  if (self.partial) {
    if (admitted.some((o) => o.shared)) return { kind: "defer", why: "another run is changing the instance's shared objects" };
    if (shared) return { kind: "defer", why: "the plan changes the instance's shared objects" };
    if (mine.size === 0) return { kind: "defer", why: sites.size === 0 ? "nothing to change" : "every site it changes is being changed by another run, or was by a later one" };
    // The run in flight may still route a domain or hold a port from its older commit.
    const claiming = claimsFromOthers(plan, mine);
    if (claiming.length > 0) return { kind: "defer", why: `${claiming.join(", ")} gains a domain, port or service that a site in flight may still hold` };
    return { kind: "admit", sites: mine, shared: false, except };
  }
  // A full run changes shared objects only alone; its sites are whatever no other run has.
  const busy = admitted.find((o) => o.shared || (shared && o.sites.size > 0));
  if (busy) return { kind: "wait", on: busy.id };
  return { kind: "admit", sites: mine, shared, except };
}

export interface Claims {
  /** A run starts (in the planning state). */
  open(partial: boolean): ClaimedRun;
  /** The runs in flight, for /status. */
  current(): readonly ClaimView[];
}

export interface ClaimedRun extends RunScope {
  readonly id: number;
  /** The run is over (also when it failed): whatever it held is free. */
  close(): void;
  /** The sites it changes now (empty before it is admitted or after it is done). */
  sites(): ReadonlySet<string>;
}

export function createClaims(): Claims {
  let seq = 0;
  const runs = new Map<number, ClaimView>();
  /**
   * How many admitted runs have ended (their changes are in the swarm, their sites free). A plan
   * made before one ended was read from a swarm without its changes: applying it could do them
   * again (an update already rolled out, its postDeploy hook run twice), so it is made again.
   */
  let ended = 0;
  /** Per site, the highest run admitted to change it: an older run leaves it alone from then on (decide). */
  const written = new Map<string, number>();
  let waiters: Array<() => void> = [];
  const changed = (): void => {
    const w = waiters;
    waiters = [];
    for (const f of w) f();
  };
  const set = (id: number, view: Omit<ClaimView, "id">): void => {
    const before = runs.get(id);
    if (!before) return;
    if (before.state === "admitted" && view.state !== "admitted") ended++;
    runs.set(id, { id, ...view });
    changed();
  };
  const none: ReadonlySet<string> = new Set();
  return {
    open(partial) {
      const id = ++seq;
      runs.set(id, { id, state: "planning", sites: none, shared: false });
      let plannedAt = ended;
      return {
        id,
        lockedSteps: !partial,
        planning: () => {
          plannedAt = ended;
          set(id, { state: "planning", sites: none, shared: false });
          return [...written].flatMap(([site, by]) => (by > id ? [site] : [])).sort();
        },
        async admit(plan): Promise<Admission> {
          const others = [...runs.values()].filter((r) => r.id !== id);
          const d = decide({ id, partial }, plan, others, written);
          if (d.kind === "wait") {
            await new Promise<void>((resolve) => waiters.push(resolve));
            return { kind: "replan" };
          }
          if (d.kind === "defer") {
            set(id, { state: "idle", sites: none, shared: false });
            return d;
          }
          if (plannedAt !== ended) return { kind: "replan" };
          for (const s of d.sites) if ((written.get(s) ?? 0) < id) written.set(s, id);
          set(id, { state: "admitted", sites: d.sites, shared: d.shared });
          return d.except.length === 0 ? { kind: "all" } : { kind: "except", sites: d.except };
        },
        done: () => set(id, { state: "idle", sites: none, shared: false }),
        close() {
          const view = runs.get(id);
          if (!view) return;
          if (view.state === "admitted") ended++;
          runs.delete(id);
          changed();
        },
        sites: () => runs.get(id)?.sites ?? none,
      };
    },
    current: () => [...runs.values()],
  };
}
