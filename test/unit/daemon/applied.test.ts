import { appliedInFull, createAppliedVersions, stepAfterSync } from "../../../controller/daemon/applied";

const step = (o: { concurrent?: boolean; reasons: string[]; changed: boolean; upToDate: boolean; lastRunOk?: boolean }) =>
  stepAfterSync({ concurrent: o.concurrent ?? false, reasons: o.reasons, changed: o.changed, upToDate: o.upToDate, lastRunOk: o.lastRunOk ?? true, tasks: "tasks" });

describe("what a polling daemon does after a fetch", () => {
  it("a commit fetched and partly applied by a run beside a rollout is applied in full by the follow-up poll, though the head did not move since", () => {
    const versions = createAppliedVersions();
    // The ordinary run rolls site A out (commit 1).
    const rollout = versions.synced(true);
    expect(step({ reasons: ["start"], changed: true, upToDate: versions.upToDate(rollout) })).toBe("reconcile");
    // A poll during it fetches commit 2 (A and B changed): the run beside it applies B only, A being rolled out.
    const beside = versions.synced(true);
    expect(step({ concurrent: true, reasons: ["poll"], changed: true, upToDate: versions.upToDate(beside) })).toBe("reconcile");
    // The rollout ends: commit 1 in full; the run beside it marks nothing (it left A out).
    versions.applied(rollout);
    // The follow-up poll fetches nothing new, yet commit 2's change of A is not applied: it reconciles.
    const followUp = versions.synced(false);
    expect(step({ reasons: ["poll"], changed: false, upToDate: versions.upToDate(followUp) })).toBe("reconcile");
    versions.applied(followUp);
    // Now everything fetched is applied: a poll that finds nothing new does nothing, with a task event only routing.
    const next = versions.synced(false);
    expect(step({ reasons: ["poll"], changed: false, upToDate: versions.upToDate(next) })).toBe("nothing");
    expect(step({ reasons: ["poll", "tasks"], changed: false, upToDate: versions.upToDate(next) })).toBe("routing");
  });

  it("an ordinary run that left sites out (other runs were changing them) has not applied its commit in full; a run beside others never has", () => {
    expect(appliedInFull({ concurrent: false })).toBe(true);
    expect(appliedInFull({ concurrent: false, excluded: [] })).toBe(true);
    expect(appliedInFull({ concurrent: false, excluded: ["a"] })).toBe(false);
    expect(appliedInFull({ concurrent: true })).toBe(false);
    // Not marked, its version stays to do: the next poll reconciles.
    const versions = createAppliedVersions();
    const v = versions.synced(true);
    if (appliedInFull({ concurrent: false, excluded: ["a"] })) versions.applied(v);
    expect(step({ reasons: ["poll"], changed: false, upToDate: versions.upToDate(v) })).toBe("reconcile");
  });

  it("webhooks, file events and resyncs always reconcile; a failed last run is retried by a poll; a run beside another polls only for news", () => {
    const versions = createAppliedVersions();
    versions.applied(versions.synced(true));
    const v = versions.synced(false);
    expect(versions.upToDate(v)).toBe(true);
    for (const reason of ["webhook:github", "file", "resync", "retry"]) expect(step({ reasons: ["poll", reason], changed: false, upToDate: true })).toBe("reconcile");
    expect(step({ reasons: ["poll"], changed: false, upToDate: true, lastRunOk: false })).toBe("reconcile");
    expect(step({ concurrent: true, reasons: ["poll"], changed: false, upToDate: false })).toBe("nothing");
    expect(step({ concurrent: true, reasons: ["webhook:github"], changed: false, upToDate: true })).toBe("reconcile");
  });

  it("versions count fetches that brought new content; an older version applied late does not mark a newer one", () => {
    const versions = createAppliedVersions();
    const one = versions.synced(true);
    const two = versions.synced(true);
    expect(versions.synced(false)).toBe(two);
    versions.applied(two);
    versions.applied(one);
    expect(versions.upToDate(two)).toBe(true);
    expect(versions.upToDate(versions.synced(true))).toBe(false);
  });
});
