import { commitStateFor, commitStatusRequest, decide, DedupeState, EMPTY_DEDUPE, isGitLabApi, NotificationEvent, ownerRepoFromUrl } from "../../../controller/daemon/notify-events";

const MIN = 60_000;
const failed = (message: string, commit = "c1"): NotificationEvent => ({ type: "site.failed", site: "acme", commit, message });

/** Feeds events at given times; returns which were sent. */
function run(events: Array<[number, NotificationEvent]>, suppressMs = 30 * MIN): boolean[] {
  let state: DedupeState = EMPTY_DEDUPE;
  return events.map(([at, e]) => {
    const d = decide(state, e, at, suppressMs);
    state = d.state;
    return d.send;
  });
}

describe("notification dedupe", () => {
  it("sends a failure once, suppresses unchanged repeats, and reminds after the suppression time", () => {
    expect(run([[0, failed("db down")], [MIN, failed("db down")], [29 * MIN, failed("db down", "c2")], [30 * MIN, failed("db down")], [31 * MIN, failed("db down")]])).toEqual([
      true,
      false,
      false,
      true,
      false,
    ]);
  });

  it("sends at once when the failure changes", () => {
    expect(run([[0, failed("db down")], [MIN, failed("image missing")], [2 * MIN, failed("db down")]])).toEqual([true, true, true]);
  });

  it("keeps sites apart", () => {
    const other: NotificationEvent = { type: "site.failed", site: "beta", commit: "c1", message: "db down" };
    expect(run([[0, failed("db down")], [0, other]])).toEqual([true, true]);
  });

  it("treats invalid and failed as different problems", () => {
    const invalid: NotificationEvent = { type: "site.invalid", site: "acme", commit: "c1", message: "db down" };
    expect(run([[0, failed("db down")], [MIN, invalid]])).toEqual([true, true]);
  });

  it("sends a recovery once, and a new failure after it at once", () => {
    const recovered: NotificationEvent = { type: "site.recovered", site: "acme", commit: "c2" };
    expect(run([[0, failed("db down")], [MIN, recovered], [2 * MIN, recovered], [3 * MIN, failed("db down")], [4 * MIN, recovered]])).toEqual([
      true,
      true,
      false,
      true,
      true,
    ]);
  });

  it("a pinned node's degradation is no reminder and stays apart from the site's failures: once per transition", () => {
    const degraded = (reason: string): NotificationEvent => ({ type: "site.degraded", site: "acme", commit: "c1", node: "node2", nodeId: "n2", reason, message: `node node2 unavailable (${reason})` });
    const back: NotificationEvent = { type: "site.node-recovered", site: "acme", commit: "c1", node: "node2", nodeId: "n2" };
    expect(run([[0, degraded("drained")], [0, failed("db down")], [31 * MIN, degraded("drained")], [32 * MIN, degraded("down")], [33 * MIN, back], [34 * MIN, back], [35 * MIN, degraded("down")]])).toEqual([
      true,
      true,
      false,
      true,
      true,
      false,
      true,
    ]);
  });

  it("announces each applied commit once, however long it stays in force", () => {
    const applied = (commit: string): NotificationEvent => ({ type: "commit.applied", commit, sites: { ready: 3, failed: 0, invalid: 0 } });
    expect(run([[0, applied("c1")], [MIN, applied("c1")], [100 * MIN, applied("c1")], [101 * MIN, applied("c2")]])).toEqual([true, false, false, true]);
  });

  it("does not mutate the previous state", () => {
    const d = decide(EMPTY_DEDUPE, failed("x"), 0, MIN);
    expect(EMPTY_DEDUPE.size).toBe(0);
    expect(d.state.size).toBe(1);
  });
});

describe("commit status helpers", () => {
  it("is red when any site did not converge", () => {
    expect(commitStateFor({ type: "commit.applied", commit: "c", sites: { ready: 2, failed: 0, invalid: 0 } })).toBe("success");
    expect(commitStateFor({ type: "commit.applied", commit: "c", sites: { ready: 2, failed: 1, invalid: 0 } })).toBe("failure");
    expect(commitStateFor({ type: "commit.applied", commit: "c", sites: { ready: 2, failed: 0, invalid: 1 } })).toBe("failure");
  });

  it.each([
    ["https://gitea.example.org/ops/sites.git", "ops/sites"],
    ["https://github.com/ops/sites", "ops/sites"],
    ["ssh://git@gitea.example.org:2222/ops/sites.git", "ops/sites"],
    ["git@github.com:ops/sites.git", "ops/sites"],
    ["https://gitlab.example.org/group/sub/sites.git", undefined],
    ["file:///srv/git/sites.git", undefined],
  ])("owner/name of %s", (url, expected) => {
    expect(ownerRepoFromUrl(url)).toBe(expected);
  });

  it("takes GitLab's whole project path, subgroups included, when asked", () => {
    expect(ownerRepoFromUrl("https://gitlab.example.org/group/sub/sites.git", true)).toBe("group/sub/sites");
    expect(ownerRepoFromUrl("git@gitlab.example.org:group/sites.git", true)).toBe("group/sites");
  });
});

describe("a commit status as each forge takes it", () => {
  const sha = "a".repeat(40);
  it("GitHub, Gitea and Forgejo: /repos/{owner}/{name}/statuses/{sha}, token auth, state and context", () => {
    const r = commitStatusRequest("https://git.example.org/api/v1/", "ops/sites", "tok", sha, { state: "failure", context: "simulium/prod", description: "x".repeat(200), targetUrl: "https://s.example.org/p" });
    expect(r.url).toBe(`https://git.example.org/api/v1/repos/ops/sites/statuses/${sha}`);
    expect(r.headers).toEqual({ Authorization: "token tok" });
    expect(JSON.parse(r.body)).toEqual({ state: "failure", context: "simulium/prod", description: "x".repeat(140), target_url: "https://s.example.org/p" });
  });

  it("GitLab (an /api/v4 root): /projects/{encoded path}/statuses/{sha}, PRIVATE-TOKEN, its own state names, context as name", () => {
    expect(isGitLabApi("https://gitlab.example.org/api/v4")).toBe(true);
    expect(isGitLabApi("https://api.github.com")).toBe(false);
    const r = commitStatusRequest("https://gitlab.example.org/api/v4", "group/sub/sites", "glpat-x", sha, { state: "failure", context: "simulium/prod/plan", description: "2 to update" });
    expect(r.url).toBe(`https://gitlab.example.org/api/v4/projects/group%2Fsub%2Fsites/statuses/${sha}`);
    expect(r.headers).toEqual({ "PRIVATE-TOKEN": "glpat-x" });
    expect(JSON.parse(r.body)).toEqual({ state: "failed", name: "simulium/prod/plan", description: "2 to update" });
    expect(JSON.parse(commitStatusRequest("https://gitlab.example.org/api/v4", "g/s", "t", sha, { state: "pending", context: "c", description: "" }).body).state).toBe("pending");
    expect(JSON.parse(commitStatusRequest("https://gitlab.example.org/api/v4", "g/s", "t", sha, { state: "error", context: "c", description: "" }).body).state).toBe("failed");
  });
});
