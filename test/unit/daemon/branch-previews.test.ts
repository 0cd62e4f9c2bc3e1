import { branchActions, BRANCH_NUMBERS_FROM, BranchPollInput, globToRegExp, SeenBranches } from "../../../controller/daemon/branch-previews";
import { commentPreviews, previewTransition } from "../../../controller/daemon/previews";
import { loadFiles } from "../../../controller/manifests/load";
import type { PreviewRecord } from "../../../controller/manifests/previews";
import { NO_PREVIEWS } from "../../../controller/reconcile/previews-state";

const sha = (c: string) => c.repeat(40);
const record = (number: number, provider: string, headRef: string, headSha: string): PreviewRecord => ({ provider, number, headSha, headRef, sites: ["acme"], openedAt: "2026-11-30T10:00:00Z", updatedAt: "2026-11-30T10:00:00Z" });

const B = BRANCH_NUMBERS_FROM;

/** One poll, as the daemon makes it: remote now, what it saw, the records it keeps. */
function poll(remote: Record<string, string>, seen: SeenBranches, records: PreviewRecord[], patterns = ["preview/*"]) {
  const input: BranchPollInput = { patterns, followed: "main", remote: new Map(Object.entries({ main: sha("0"), ...remote })), seen, records };
  return branchActions(input);
}

describe("branch previews by polling (simulium.yaml spec.previews.branches)", () => {
  it("a new matching branch opens, an unchanged one does nothing, a push updates, a deleted one closes", () => {
    const first = poll({ "preview/theme": sha("a"), feature: sha("f") }, new Map(), []);
    expect(first.actions).toEqual([{ kind: "open", branch: "preview/theme", sha: sha("a"), number: B }]);
    // The daemon records the preview (number B, at a); the next poll sees nothing new.
    const records = [record(B, "branch", "preview/theme", sha("a"))];
    const second = poll({ "preview/theme": sha("a"), feature: sha("f") }, first.seen, records);
    expect(second.actions).toEqual([]);
    // A push: the same number again, at the new commit.
    const pushed = poll({ "preview/theme": sha("b") }, second.seen, records);
    expect(pushed.actions).toEqual([{ kind: "open", branch: "preview/theme", sha: sha("b"), number: B }]);
    const moved = [record(B, "branch", "preview/theme", sha("b"))];
    // Deleted on the remote: closed.
    expect(poll({}, pushed.seen, moved).actions).toEqual([{ kind: "closed", branch: "preview/theme", sha: sha("b"), number: B }]);
  });

  it("a branch that changed no site (no record) is not looked at again until it moves; a restart looks once more", () => {
    const first = poll({ "preview/docs": sha("d") }, new Map(), []);
    expect(first.actions.map((a) => a.kind)).toEqual(["open"]);
    expect(poll({ "preview/docs": sha("d") }, first.seen, []).actions).toEqual([]);
    expect(poll({ "preview/docs": sha("e") }, first.seen, []).actions).toEqual([{ kind: "open", branch: "preview/docs", sha: sha("e"), number: B }]);
    expect(poll({ "preview/docs": sha("d") }, new Map(), []).actions).toHaveLength(1);
    // Gone without ever having a preview: nothing to close, and forgotten.
    const gone = poll({}, first.seen, []);
    expect(gone).toEqual({ actions: [], seen: new Map() });
  });

  it("numbers branches from above every pull request's number (the forge's next one stays free), one per new branch after the last branch's", () => {
    const records = [record(7, "github", "fix", sha("1")), record(B + 2, "branch", "preview/a", sha("2"))];
    const r = poll({ "preview/a": sha("2"), "preview/c": sha("c"), "preview/b": sha("b") }, new Map([["preview/a", sha("2")]]), records);
    expect(r.actions).toEqual([
      { kind: "open", branch: "preview/b", sha: sha("b"), number: B + 3 },
      { kind: "open", branch: "preview/c", sha: sha("c"), number: B + 4 },
    ]);
    // With only pull requests' previews, the first branch takes the first branch number, not 8.
    expect(poll({ "preview/d": sha("d") }, new Map(), [record(7, "github", "fix", sha("1"))]).actions).toEqual([{ kind: "open", branch: "preview/d", sha: sha("d"), number: B }]);
    expect(B).toBeGreaterThan(1e9);
  });

  it("never previews the branch the daemon deploys, nor one outside the patterns; a removed pattern closes its previews", () => {
    expect(poll({}, new Map(), [], ["*"]).actions).toEqual([]);
    expect(poll({ "preview/x/y": sha("a"), "other/x": sha("b") }, new Map(), []).actions).toEqual([]);
    const records = [record(2, "branch", "preview/x", sha("a"))];
    expect(poll({ "preview/x": sha("a") }, new Map(), records, []).actions).toEqual([{ kind: "closed", branch: "preview/x", sha: sha("a"), number: 2 }]);
    // A pull request's record is never closed by a poll.
    expect(poll({}, new Map(), [record(5, "github", "preview/y", sha("b"))]).actions).toEqual([]);
  });

  it("a listing without the deployed branch removes nothing (a remote that is not what it seems)", () => {
    const records = [record(1, "branch", "preview/theme", sha("a"))];
    const r = branchActions({ patterns: ["preview/*"], followed: "main", remote: new Map(), seen: new Map(), records });
    expect(r.actions).toEqual([]);
  });

  it("patterns: * within a path segment, ** across, everything else literal", () => {
    expect(globToRegExp("preview/*").test("preview/theme")).toBe(true);
    expect(globToRegExp("preview/*").test("preview/a/b")).toBe(false);
    expect(globToRegExp("preview/**").test("preview/a/b")).toBe(true);
    expect(globToRegExp("release-1.*").test("release-1.2")).toBe(true);
    expect(globToRegExp("release-1.*").test("release-112")).toBe(false);
    expect(globToRegExp("pr-*").test("xpr-1")).toBe(false);
  });
});

describe("a branch's preview and a pull request's never take each other's number", () => {
  const config = { domain: "{site}-pr{number}.preview.example.org", max: 5, ttlHours: 24 };
  const file = (image: string) => `apiVersion: simulium/v1\nkind: Site\nmetadata: {name: acme}\nspec:\n  domains: [acme.org]\n  web: {image: "${image}"}\n`;
  const base = new Map([["sites/acme.yaml", file("drupal:10.2")]]);
  const head = new Map([["sites/acme.yaml", file("drupal:10.3")]]);
  const deployed = loadFiles([...base].map(([path, text]) => ({ path, text }))).sites;
  const now = new Date("2026-11-30T10:00:00Z");

  it("a branch opens as preview 1; pull request 1's event then changes nothing of it, and closing it does not remove it", () => {
    const branch = previewTransition(NO_PREVIEWS, { provider: "branch", number: 1, state: "open", merged: false, headSha: sha("a"), headRef: "preview/theme", baseRef: "main" }, { config, deployed, baseFiles: base, headFiles: head, now });
    expect(branch.outcome.action).toBe("deployed");
    expect(branch.state.records[0]).toMatchObject({ provider: "branch", headRef: "preview/theme", number: 1 });
    const pr = { provider: "github" as const, number: 1, merged: false, headSha: sha("b"), headRef: "fix", baseRef: "main" };
    const opened = previewTransition(branch.state, { ...pr, state: "open" }, { config, deployed, baseFiles: base, headFiles: head, now });
    expect(opened.state).toBe(branch.state);
    expect(opened.outcome).toMatchObject({ action: "none", problems: ["preview number 1 is the branch preview/theme's: not changed"] });
    const closed = previewTransition(branch.state, { ...pr, state: "closed" }, { config, deployed, baseFiles: base, now });
    expect(closed.state).toBe(branch.state);
    // The pull request's comment does not claim the branch's preview was removed.
    expect(commentPreviews(closed.outcome, branch.state, { ...pr, state: "closed" }).previews).toEqual([]);
    // Another branch with the same number (a stale decision) is refused the same way.
    const other = previewTransition(branch.state, { provider: "branch", number: 1, state: "closed", merged: false, headSha: sha("c"), headRef: "preview/other", baseRef: "main" }, { config, deployed, baseFiles: base, now });
    expect(other.state).toBe(branch.state);
  });
});
