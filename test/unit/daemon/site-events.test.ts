import { dashboardView } from "../../../controller/daemon/dashboard-view";
import type { SiteRecord } from "../../../controller/daemon/run-status";
import { appendHistory, runEvents, stateEvent } from "../../../controller/daemon/site-events";

const rev = { sha: "abc1234def", author: "Ann", email: "a@x", date: "2026-11-30T10:00:00Z", subject: "bump" };
const rec = (site: string, state: SiteRecord["state"], lastError: string | null = null): SiteRecord => ({
  site,
  state,
  appliedCommit: "abc1234def",
  tasks: { running: 1, desired: 1 },
  lastError,
  lastReconcileAt: "2026-11-30T10:00:00Z",
});
const AT = Date.parse("2026-11-30T12:00:00Z");

describe("site history", () => {
  it("records a deploy per site the run changed, with the error of a failed one, and state changes", () => {
    const prev = new Map([["a", rec("a", "converged")], ["b", rec("b", "converged")]]);
    const next = new Map([["a", rec("a", "converged")], ["b", rec("b", "failed", "postDeploy hook exited 1")]]);
    const events = runEvents(prev, next, [
      { site: "a", state: "converged", applied: 2 },
      { site: "b", state: "failed", error: "postDeploy hook exited 1", applied: 1 },
      { site: null, state: "converged", applied: 1 },
    ], rev, AT);
    expect(events.get("a")).toEqual([{ kind: "deploy", at: "2026-11-30T12:00:00.000Z", commit: "abc1234def", subject: "bump", author: "Ann", ok: true, error: null }]);
    expect(events.get("b")).toEqual([
      { kind: "deploy", at: "2026-11-30T12:00:00.000Z", commit: "abc1234def", subject: "bump", author: "Ann", ok: false, error: "postDeploy hook exited 1" },
      { kind: "state", at: "2026-11-30T12:00:00.000Z", from: "converged", to: "failed", error: "postDeploy hook exited 1" },
    ]);
  });

  it("a run that changes nothing adds nothing (a resync is not a deploy)", () => {
    const same = new Map([["a", rec("a", "converged")]]);
    expect(runEvents(same, same, [{ site: "a", state: "converged", applied: 0 }], rev, AT).size).toBe(0);
  });

  it("keeps the newest first and at most the limit, over successive runs", () => {
    let h = appendHistory(new Map(), new Map([["a", [stateEvent("new", "progressing", null, AT), stateEvent("progressing", "converged", null, AT + 1000)]]]), 3);
    expect(h.get("a")?.map((e) => e.kind === "state" && e.to)).toEqual(["converged", "progressing"]);
    h = appendHistory(h, new Map([["a", [stateEvent("converged", "degraded", "sick", AT + 2000), stateEvent("degraded", "converged", null, AT + 3000)]]]), 3);
    expect(h.get("a")?.map((e) => e.kind === "state" && e.to)).toEqual(["converged", "degraded", "converged"]);
  });
});

describe("dashboard view", () => {
  it("sorts the sites, describes the running commit, links the forge and takes the last good deploy time", () => {
    const view = dashboardView({
      instance: "prod",
      now: AT,
      commit: rev,
      lastRun: null,
      sites: [
        { ...rec("zeta", "converged"), cron: [], backup: null },
        { ...rec("acme", "degraded", "sick"), appliedCommit: "fff0000", cron: [], backup: null },
      ],
      domains: new Map([["zeta", ["zeta.test"]]]),
      commits: new Map([["abc1234def", rev]]),
      forgeCommitUrl: "https://git.example.org/o/r/commit/{sha}",
      histories: new Map([["zeta", [
        { kind: "deploy", at: "2026-11-30T11:00:00.000Z", commit: "x", subject: "s", author: "a", ok: false, error: "e" },
        { kind: "deploy", at: "2026-11-30T10:00:00.000Z", commit: "y", subject: "s", author: "a", ok: true, error: null },
      ]]]),
    });
    expect(view.sites.map((s) => s.site)).toEqual(["acme", "zeta"]);
    expect(view.sites[0]?.commit).toEqual({ sha: "fff0000", subject: null, author: null, url: "https://git.example.org/o/r/commit/fff0000" });
    expect(view.sites[1]?.commit).toMatchObject({ subject: "bump", author: "Ann" });
    expect(view.sites[1]?.lastDeployAt).toBe("2026-11-30T10:00:00.000Z");
    expect(view.sites[1]?.domains).toEqual(["zeta.test"]);
    // No TLS data known to the daemon: no certificate field at all (the column stays hidden).
    expect("certificate" in (view.sites[0] ?? {})).toBe(false);
  });
});
