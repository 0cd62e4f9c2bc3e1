import { LABEL } from "../../../controller/desired/labels";
import { FINISHED_GRACE_MS, staleJobs } from "../../../controller/plan/stale-jobs";
import type { LiveJob } from "../../../controller/live/types";
import { makePlan } from "../../../controller/plan/plan";
import { renderPlanText } from "../../../controller/plan/render";
import { desiredOf, site } from "../../fixtures/core/builders";
import { liveFromDesired } from "../../fixtures/core/live";

const NOW = Date.parse("2026-11-25T14:00:00Z");
const at = (offsetMs: number): string => new Date(NOW + offsetMs).toISOString();

const job = (name: string, o: { deadline?: string; tasks?: LiveJob["tasks"] } = {}): LiveJob => ({
  id: `id-${name}`,
  name,
  site: "acme",
  labels: { [LABEL.instance]: "sim", [LABEL.site]: "acme", [LABEL.role]: "job", ...(o.deadline ? { [LABEL.jobDeadline]: o.deadline } : {}) },
  tasks: o.tasks ?? [],
});

describe("jobs: job services left behind", () => {
  it("a job running before its deadline is kept, also one not yet scheduled", () => {
    const running = job("acme_exec-1", { deadline: at(60_000), tasks: [{ state: "running", timestamp: at(-10_000) }] });
    const pending = job("acme_exec-2", { deadline: at(60_000) });
    expect(staleJobs([running, pending], NOW)).toEqual([]);
  });

  it("a job past its deadline is removed, whatever its task does", () => {
    const overdue = job("acme_cron-x-1", { deadline: at(-1), tasks: [{ state: "running", timestamp: at(-3_600_000) }] });
    expect(staleJobs([overdue], NOW)).toEqual([{ op: "delete", kind: "service", site: "acme", name: "acme_cron-x-1", id: "id-acme_cron-x-1", reason: "job-expired", changes: [] }]);
  });

  it("a job whose task ended is removed once its runner had time to read it", () => {
    for (const state of ["complete", "failed", "rejected", "shutdown"]) {
      const ended = (ago: number) => job(`acme_exec-${state}`, { deadline: at(600_000), tasks: [{ state, timestamp: at(-ago) }] });
      expect(staleJobs([ended(FINISHED_GRACE_MS + 1)], NOW).map((a) => a.reason)).toEqual(["job-finished"]);
      // Its runner is reading the logs and removing it right now.
      expect(staleJobs([ended(1000)], NOW)).toEqual([]);
    }
  });

  it("a job of an older controller (no deadline) is removed only once it ended", () => {
    expect(staleJobs([job("a", { tasks: [{ state: "running", timestamp: at(-86_400_000) }] })], NOW)).toEqual([]);
    expect(staleJobs([job("b", { tasks: [{ state: "complete", timestamp: at(-86_400_000) }] })], NOW).map((a) => a.reason)).toEqual(["job-finished"]);
  });

  it("the plan removes them, shows why, and leaves running ones out", () => {
    const desired = desiredOf([site()]);
    const leaked = job("acme_exec-abc123", { deadline: at(-1) });
    const running = job("acme_exec-def456", { deadline: at(60_000), tasks: [{ state: "running", timestamp: at(-1000) }] });
    const plan = makePlan(desired, { ...liveFromDesired(desired), jobs: [leaked, running] }, [], NOW);
    expect(plan.actions.map((a) => `${a.op} ${a.kind} ${a.name}`)).toEqual(["delete service acme_exec-abc123"]);
    expect(renderPlanText(plan)).toMatch(/acme_exec-abc123.*\(job expired\)/);
    expect(makePlan(desired, { ...liveFromDesired(desired), jobs: [running] }, [], NOW).actions).toEqual([]);
  });
});
