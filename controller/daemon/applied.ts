/**
 * Which fetched content the daemon has applied in full. A run beside another (single-flight.ts)
 * may fetch a new commit and apply only part of it (the sites nobody else is changing); the
 * fetch still moves the clone's head, so "the head moved" cannot tell the follow-up run that
 * something is left to do. Each fetch that brought new content is a new version; an ordinary
 * run that applied its version with nothing left out marks it (and every earlier one) applied.
 */
export interface AppliedVersions {
  /** A fetch ended: the version of the content in force (a new one when it changed). */
  synced(changed: boolean): number;
  /** An ordinary run applied version `v` in full: nothing of it was left to another run. */
  applied(v: number): void;
  /** Whether version `v` has been applied in full. */
  upToDate(v: number): boolean;
}

export function createAppliedVersions(): AppliedVersions {
  let latest = 0;
  let done = 0;
  return {
    synced(changed) {
      if (changed) latest++;
      return latest;
    },
    applied(v) {
      if (v > done) done = v;
    },
    upToDate: (v) => v <= done,
  };
}

/**
 * Whether a run that ended applied its fetched version in full (AppliedVersions.applied): only
 * an ordinary run that left no site out. A run beside others takes part of its commit by
 * design; an ordinary one leaves out the sites runs beside it were changing, or had changed
 * from a newer commit, and those are not at its version. Pure.
 */
export function appliedInFull(run: { readonly concurrent: boolean; readonly excluded?: readonly string[] }): boolean {
  return !run.concurrent && (run.excluded ?? []).length === 0;
}

/** What a run does once it fetched. */
export type RunStep =
  /** Plan and apply. */
  | "reconcile"
  /** Nothing new and the last run succeeded: only the VCL follows the tasks (a task event came with the poll). */
  | "routing"
  | "nothing";

/**
 * A poll that found nothing new is not a reconcile; resync, webhooks and file events are. Nothing
 * new means: the content fetched is applied in full, not that the head stayed put (a run beside
 * another may have fetched it and applied part of it). A run beside another that polled and
 * fetched no change leaves it to the follow-up run, which always comes. Pure.
 */
export function stepAfterSync(input: { readonly concurrent: boolean; readonly reasons: readonly string[]; readonly changed: boolean; readonly upToDate: boolean; readonly lastRunOk: boolean; readonly tasks: string }): RunStep {
  const others = input.reasons.filter((r) => r !== input.tasks);
  const onlyPolls = others.every((r) => r === "poll");
  if (input.concurrent) return onlyPolls && !input.changed ? "nothing" : "reconcile";
  if (onlyPolls && input.upToDate && input.lastRunOk) return others.length < input.reasons.length ? "routing" : "nothing";
  return "reconcile";
}
