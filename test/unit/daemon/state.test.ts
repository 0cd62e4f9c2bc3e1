import { commitAgeSeconds, createDaemonState, isStale, readiness } from "../../../controller/daemon/state";

const T0 = Date.parse("2024-06-01T12:00:00Z");

describe("readiness", () => {
  it("is not ready before anything happened, and says why", () => {
    const r = readiness({}, T0, 180);
    expect(r.ready).toBe(false);
    expect(r.reasons).toEqual(["no reconcile has succeeded yet", "the source has not been synced yet", "the engine has not been checked yet"]);
  });

  it("is ready after a reconcile, a fresh sync and a reachable engine", () => {
    expect(readiness({ lastReconcileOkAt: T0, lastSyncOkAt: T0, engineReachable: true }, T0 + 60_000, 180)).toEqual({ ready: true, reasons: [] });
  });

  it("is not ready when the last sync is older than the staleness limit", () => {
    const r = readiness({ lastReconcileOkAt: T0, lastSyncOkAt: T0, engineReachable: true }, T0 + 181_000, 180);
    expect(r.ready).toBe(false);
    expect(r.reasons).toEqual(["last successful sync was 181s ago (stale after 180s)"]);
  });

  it("is not ready when the engine was unreachable at the last check", () => {
    const r = readiness({ lastReconcileOkAt: T0, lastSyncOkAt: T0, engineReachable: false }, T0, 180);
    expect(r.reasons).toEqual(["the engine was unreachable at the last check"]);
  });
});

describe("staleness and commit age", () => {
  it("counts never-synced as stale and uses a strict limit", () => {
    expect(isStale({}, T0, 10)).toBe(true);
    expect(isStale({ lastSyncOkAt: T0 }, T0 + 10_000, 10)).toBe(false);
    expect(isStale({ lastSyncOkAt: T0 }, T0 + 10_001, 10)).toBe(true);
  });

  it("measures the commit age from its author date", () => {
    expect(commitAgeSeconds({ commitDate: "2024-06-01T13:00:00+01:00" }, T0 + 90_000)).toBe(90);
    expect(commitAgeSeconds({}, T0)).toBeUndefined();
    expect(commitAgeSeconds({ commitDate: "not a date" }, T0)).toBeUndefined();
  });
});

describe("createDaemonState", () => {
  it("records what the loop reports", () => {
    let now = T0;
    const s = createDaemonState(() => now);
    s.syncSucceeded("2024-06-01T11:00:00Z");
    now += 5_000;
    s.reconcileSucceeded();
    s.engineChecked(true);
    expect(s.snapshot()).toEqual({ lastSyncOkAt: T0, commitDate: "2024-06-01T11:00:00Z", lastReconcileOkAt: T0 + 5_000, engineReachable: true });
    s.engineChecked(false);
    expect(s.snapshot().engineReachable).toBe(false);
  });
});
