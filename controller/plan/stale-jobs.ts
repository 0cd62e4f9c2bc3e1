import { LABEL } from "../desired/labels";
import type { LiveJob } from "../live/types";
import type { DeleteAction, Unplaced } from "./types";

/** Task states after which a job's container does not run any more. */
const ENDED = new Set(["complete", "failed", "rejected", "shutdown", "orphaned", "remove"]);

/**
 * A finished job's runner reads its logs and removes it within a second or two; a job that
 * ended longer ago than this has no runner left.
 */
export const FINISHED_GRACE_MS = 60_000;

/**
 * The job services a reconcile removes: the ones whose tasks all ended a while ago, and the
 * ones past their deadline (LABEL.jobDeadline), which no runner waits for any more (it
 * removes its job at its timeout). Both were left by a runner that died: a killed CLI or
 * daemon. A job still running before its deadline is never touched. Pure.
 */
export function staleJobs(jobs: readonly LiveJob[], now: number): Unplaced<DeleteAction>[] {
  const out: Unplaced<DeleteAction>[] = [];
  for (const job of jobs) {
    const reason = staleness(job, now);
    if (reason) out.push({ op: "delete", kind: "service", site: job.site, name: job.name, id: job.id, reason, changes: [] });
  }
  return out;
}

function staleness(job: LiveJob, now: number): DeleteAction["reason"] | undefined {
  const deadline = Date.parse(job.labels[LABEL.jobDeadline] ?? "");
  if (!Number.isNaN(deadline) && now > deadline) return "job-expired";
  if (job.tasks.length === 0 || !job.tasks.every((t) => ENDED.has(t.state))) return undefined;
  const ended = Math.max(...job.tasks.map((t) => Date.parse(t.timestamp)).map((t) => (Number.isNaN(t) ? 0 : t)));
  return now - ended > FINISHED_GRACE_MS ? "job-finished" : undefined;
}
