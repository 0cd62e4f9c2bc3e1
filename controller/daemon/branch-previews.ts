import type { PreviewRecord } from "../manifests/previews";

/**
 * Previews of branches, for a forge that sends no webhooks: every poll, the remote's branches
 * (`git ls-remote --heads`) are compared with what the daemon saw last; a branch matching
 * simulium.yaml's `spec.previews.branches` that is new or moved is previewed like a pull
 * request's head, a previewed branch that is gone (or no longer matches) is closed. A branch
 * preview takes a number as a pull request has one (the next after every number in use), kept
 * in its record, so its name and domain stay put across pushes. Pure.
 */

/** What the daemon keeps of a branch between polls: the commit it last looked at. */
export type SeenBranches = ReadonlyMap<string, string>;

export type BranchAction =
  | { readonly kind: "open"; readonly branch: string; readonly sha: string; readonly number: number }
  | { readonly kind: "closed"; readonly branch: string; readonly sha: string; readonly number: number };

export interface BranchPollInput {
  readonly patterns: readonly string[];
  /** The branch the daemon deploys: never a preview of itself. */
  readonly followed: string;
  /** The remote's branches now: name → commit. */
  readonly remote: ReadonlyMap<string, string>;
  /** Branches looked at before (whether or not they got a preview): name → commit. */
  readonly seen: SeenBranches;
  /** Every preview record (pull requests' too: their numbers are taken). */
  readonly records: readonly PreviewRecord[];
}

export const BRANCH_PROVIDER = "branch";
/** The first number of a branch preview: above every pull or merge request number. */
export const BRANCH_NUMBERS_FROM = 1_000_000_001;

/** The actions of one poll, and what to remember for the next. */
export function branchActions(input: BranchPollInput): { readonly actions: readonly BranchAction[]; readonly seen: SeenBranches } {
  const matchers = input.patterns.map(globToRegExp);
  const wanted = (branch: string) => branch !== input.followed && matchers.some((m) => m.test(branch));
  const byBranch = new Map(input.records.filter((r) => r.provider === BRANCH_PROVIDER).map((r) => [r.headRef, r]));
  // Branches number from above any pull request's (source/pull-request.ts accepts up to 1e9):
  // a branch preview never takes the number the forge gives its next pull request.
  let next = Math.max(BRANCH_NUMBERS_FROM - 1, ...input.records.filter((r) => r.provider === BRANCH_PROVIDER).map((r) => r.number));
  const actions: BranchAction[] = [];
  const seen = new Map<string, string>();
  for (const branch of [...input.remote.keys()].sort()) {
    const sha = input.remote.get(branch) ?? "";
    if (!wanted(branch)) continue;
    seen.set(branch, sha);
    const record = byBranch.get(branch);
    // A record at another commit is behind (a push while the daemon was down): look again.
    const known = record ? record.headSha === sha : input.seen.get(branch) === sha;
    if (known) continue;
    actions.push({ kind: "open", branch, sha, number: record?.number ?? ++next });
  }
  // A listing without the branch the daemon deploys is not the remote as it is (a mirror
  // half-written, a wrong remote): nothing is removed on its word.
  const trusted = input.remote.has(input.followed);
  for (const [branch, record] of [...byBranch].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    if (trusted && !seen.has(branch)) actions.push({ kind: "closed", branch, sha: record.headSha, number: record.number });
  }
  return { actions, seen };
}

/**
 * A branch pattern: `*` stands for any characters but `/`, `**` for any characters at all;
 * everything else is literal (`preview/*` matches `preview/theme`, not `preview/a/b`).
 */
export function globToRegExp(pattern: string): RegExp {
  let out = "";
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i] ?? "";
    if (c === "*" && pattern[i + 1] === "*") {
      out += ".*";
      i++;
    } else if (c === "*") out += "[^/]*";
    else out += c.replace(/[.+?^${}()|[\]\\-]/g, "\\$&");
  }
  return new RegExp(`^${out}$`);
}
