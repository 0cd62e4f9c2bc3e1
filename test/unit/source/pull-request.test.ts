import { parsePullRequestEvent } from "../../../controller/source/pull-request";

const HEAD = "6dcb09b5b57875f334f61aebed695e2e4193db5e";

/** The fields of GitHub's `pull_request` webhook payload the parser reads, in their real places (docs.github.com, webhook-events-and-payloads). */
function githubPayload(action: string, extra: { merged?: boolean } = {}): string {
  return JSON.stringify({
    action,
    number: 42,
    pull_request: {
      url: "https://api.github.com/repos/acme/sites/pulls/42",
      html_url: "https://github.com/acme/sites/pull/42",
      number: 42,
      state: action === "closed" ? "closed" : "open",
      merged: extra.merged ?? false,
      head: { label: "acme:new-image", ref: "new-image", sha: HEAD, repo: { full_name: "acme/sites" } },
      base: { label: "acme:main", ref: "main", sha: "9049f1265b7d61be4a8904a9a27120d2064dab3b", repo: { full_name: "acme/sites" } },
    },
    repository: { full_name: "acme/sites", clone_url: "https://github.com/acme/sites.git" },
    sender: { login: "octocat" },
  });
}

/** GitLab's Merge Request Hook (docs.gitlab.com, webhook events). */
function gitlabPayload(action: string): string {
  return JSON.stringify({
    object_kind: "merge_request",
    event_type: "merge_request",
    project: { id: 1, path_with_namespace: "acme/sites", git_http_url: "https://gitlab.example.org/acme/sites.git" },
    object_attributes: {
      id: 99,
      iid: 7,
      action,
      state: action === "merge" ? "merged" : action === "close" ? "closed" : "opened",
      source_branch: "new-image",
      target_branch: "main",
      url: "https://gitlab.example.org/acme/sites/-/merge_requests/7",
      last_commit: { id: HEAD, message: "acme: drupal 10.3" },
    },
  });
}

describe("pull-request events of the forges", () => {
  it("GitHub: opened, synchronize (a push) and reopened ask for the preview at the head; closed removes it", () => {
    for (const action of ["opened", "synchronize", "reopened"]) {
      expect(parsePullRequestEvent("github", "pull_request", githubPayload(action))).toEqual({
        ok: true,
        event: { provider: "github", number: 42, state: "open", merged: false, headSha: HEAD, headRef: "new-image", baseRef: "main", url: "https://github.com/acme/sites/pull/42" },
      });
    }
    const merged = parsePullRequestEvent("github", "pull_request", githubPayload("closed", { merged: true }));
    expect(merged).toMatchObject({ ok: true, event: { state: "closed", merged: true, number: 42 } });
    expect(parsePullRequestEvent("github", "pull_request", Buffer.from(githubPayload("closed")))).toMatchObject({ ok: true, event: { state: "closed", merged: false } });
  });

  it("GitLab: open, update and reopen preview; close and merge remove", () => {
    expect(parsePullRequestEvent("gitlab", "Merge Request Hook", gitlabPayload("update"))).toEqual({
      ok: true,
      event: { provider: "gitlab", number: 7, state: "open", merged: false, headSha: HEAD, headRef: "new-image", baseRef: "main", url: "https://gitlab.example.org/acme/sites/-/merge_requests/7" },
    });
    expect(parsePullRequestEvent("gitlab", "Merge Request Hook", gitlabPayload("merge"))).toMatchObject({ ok: true, event: { state: "closed", merged: true } });
    expect(parsePullRequestEvent("gitlab", "Merge Request Hook", gitlabPayload("close"))).toMatchObject({ ok: true, event: { state: "closed", merged: false } });
  });

  it("ignores, with the reason, what does not move a preview: other events, labels, approvals, odd payloads", () => {
    expect(parsePullRequestEvent("github", "push", githubPayload("opened"))).toEqual({ ok: false, ignored: "GitHub event push is not pull_request" });
    expect(parsePullRequestEvent("github", "pull_request", githubPayload("labeled"))).toEqual({ ok: false, ignored: "action labeled does not change a preview" });
    expect(parsePullRequestEvent("gitlab", "Merge Request Hook", gitlabPayload("approved"))).toEqual({ ok: false, ignored: "action approved does not change a preview" });
    expect(parsePullRequestEvent("gitea", "pull_request", githubPayload("opened"))).toMatchObject({ ok: false });
    expect(parsePullRequestEvent("github", "pull_request", "{not json")).toEqual({ ok: false, ignored: "the payload is not JSON" });
  });

  it("refuses a head that is not a commit id and a branch name that could be read as an option or a path escape", () => {
    const bad = (mutate: (p: { pull_request: { head: { sha: string; ref: string } } }) => void) => {
      const p = JSON.parse(githubPayload("opened")) as { pull_request: { head: { sha: string; ref: string } } };
      mutate(p);
      return parsePullRequestEvent("github", "pull_request", JSON.stringify(p));
    };
    expect(bad((p) => (p.pull_request.head.sha = "HEAD"))).toEqual({ ok: false, ignored: "no head commit" });
    expect(bad((p) => (p.pull_request.head.ref = "a b"))).toEqual({ ok: false, ignored: "no valid head or base branch" });
    expect(bad((p) => (p.pull_request.head.ref = "x\n--upload-pack=evil"))).toEqual({ ok: false, ignored: "no valid head or base branch" });
    expect(bad((p) => (p.pull_request.head.ref = "--upload-pack=evil"))).toEqual({ ok: false, ignored: "no valid head or base branch" });
    expect(bad((p) => (p.pull_request.head.ref = "a/../../b"))).toEqual({ ok: false, ignored: "no valid head or base branch" });
    expect(bad((p) => (p.pull_request.head.ref = "feature/new-image"))).toMatchObject({ ok: true });
    const noNumber = JSON.parse(githubPayload("opened")) as Record<string, unknown>;
    delete noNumber.number;
    (noNumber.pull_request as Record<string, unknown>).number = "42";
    expect(parsePullRequestEvent("github", "pull_request", JSON.stringify(noNumber))).toEqual({ ok: false, ignored: "no pull request number" });
  });
});
