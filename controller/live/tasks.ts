import type { LiveState, LiveTask } from "./types";

/**
 * Every task of the instance's services, for a reader that counts or routes to them (status,
 * Varnish's backends and its own tasks, certificate delivery). A plan's read lists only the
 * tasks the plan reads (live/read.ts, "plan"): there a service would look as if it ran none, so
 * such a state is refused, loudly, rather than read as "no task running". Pure.
 */
export function everyTask(live: LiveState): readonly LiveTask[] {
  if (live.taskScope === "plan") throw new PartialTasksError();
  return live.tasks;
}

export class PartialTasksError extends Error {
  constructor() {
    super("this live state lists only the tasks a plan reads, and every task of the instance's services is needed here (readLive with \"all\")");
    this.name = "PartialTasksError";
  }
}
