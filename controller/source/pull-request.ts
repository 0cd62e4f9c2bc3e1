/**
 * Pull-request events of the forges, as the daemon's preview environments need them. Pure:
 * an already verified webhook (source/webhook.ts: the signature holds before anything is
 * parsed) and its event header in, a normalised event or the reason it is not one out.
 */

export type PullRequestProvider = "github" | "gitlab";

export interface PullRequestEvent {
  readonly provider: PullRequestProvider;
  /** GitHub's pull request number, GitLab's merge request iid: what `{number}` of the domain pattern is. */
  readonly number: number;
  /** `open`: deploy or update the preview at `headSha`; `closed`: remove it (merged or not). */
  readonly state: "open" | "closed";
  readonly merged: boolean;
  readonly headSha: string;
  readonly headRef: string;
  readonly baseRef: string;
  /** The pull request's page, for the operator's log. */
  readonly url?: string;
}

export type PullRequestParse =
  | { readonly ok: true; readonly event: PullRequestEvent }
  /** Not a pull-request event, or an action that changes nothing of a preview (a label, a review): ignored. */
  | { readonly ok: false; readonly ignored: string };

/** GitHub actions that bring the head to a state to preview; the rest (labeled, edited, ...) do not move it. */
const GITHUB_OPEN = new Set(["opened", "reopened", "synchronize", "ready_for_review"]);
const GITLAB_OPEN = new Set(["open", "reopen", "update"]);
const SHA = /^[0-9a-f]{40}([0-9a-f]{24})?$/;
const REF = /^(?!-)(?!.*\.\.)[A-Za-z0-9._/-]{1,255}$/;

/**
 * `event` is the forge's event header (`X-GitHub-Event: pull_request`, `X-Gitlab-Event:
 * Merge Request Hook`); `body` the payload as received.
 */
export function parsePullRequestEvent(provider: string, event: string | undefined, body: Buffer | string): PullRequestParse {
  let json: unknown;
  try {
    json = JSON.parse(body.toString());
  } catch {
    return { ok: false, ignored: "the payload is not JSON" };
  }
  if (provider === "github") return event === "pull_request" ? github(json) : { ok: false, ignored: `GitHub event ${event ?? "(none)"} is not pull_request` };
  if (provider === "gitlab") return event === "Merge Request Hook" ? gitlab(json) : { ok: false, ignored: `GitLab event ${event ?? "(none)"} is not a Merge Request Hook` };
  return { ok: false, ignored: `${provider} pull requests are not supported (GitHub and GitLab are)` };
}

function github(json: unknown): PullRequestParse {
  const action = str(get(json, "action"));
  const pr = get(json, "pull_request");
  const number = get(json, "number") ?? get(pr, "number");
  const merged = get(pr, "merged") === true;
  if (action === undefined) return { ok: false, ignored: "no action" };
  const state = action === "closed" ? "closed" : GITHUB_OPEN.has(action) ? "open" : undefined;
  if (state === undefined) return { ok: false, ignored: `action ${action} does not change a preview` };
  return build("github", number, state, merged, get(get(pr, "head"), "sha"), get(get(pr, "head"), "ref"), get(get(pr, "base"), "ref"), get(pr, "html_url"));
}

function gitlab(json: unknown): PullRequestParse {
  if (get(json, "object_kind") !== "merge_request") return { ok: false, ignored: "object_kind is not merge_request" };
  const a = get(json, "object_attributes");
  const action = str(get(a, "action"));
  if (action === undefined) return { ok: false, ignored: "no action" };
  const state = action === "close" || action === "merge" ? "closed" : GITLAB_OPEN.has(action) ? "open" : undefined;
  if (state === undefined) return { ok: false, ignored: `action ${action} does not change a preview` };
  return build("gitlab", get(a, "iid"), state, action === "merge", get(get(a, "last_commit"), "id"), get(a, "source_branch"), get(a, "target_branch"), get(a, "url"));
}

function build(provider: PullRequestProvider, number: unknown, state: "open" | "closed", merged: boolean, sha: unknown, head: unknown, base: unknown, url: unknown): PullRequestParse {
  if (typeof number !== "number" || !Number.isInteger(number) || number < 1 || number > 1e9) return { ok: false, ignored: "no pull request number" };
  const headSha = str(sha);
  if (headSha === undefined || !SHA.test(headSha)) return { ok: false, ignored: "no head commit" };
  const headRef = str(head);
  const baseRef = str(base);
  // Refs end up in git commands (as arguments, never a shell): anything odd is refused here.
  if (headRef === undefined || !REF.test(headRef) || baseRef === undefined || !REF.test(baseRef)) return { ok: false, ignored: "no valid head or base branch" };
  const link = str(url);
  return { ok: true, event: { provider, number, state, merged, headSha, headRef, baseRef, ...(link !== undefined ? { url: link } : {}) } };
}

function get(o: unknown, key: string): unknown {
  return typeof o === "object" && o !== null && !Array.isArray(o) && Object.prototype.hasOwnProperty.call(o, key) ? (o as Record<string, unknown>)[key] : undefined;
}

function str(v: unknown): string | undefined {
  return typeof v === "string" ? v : undefined;
}
