import type { ManifestError } from "../manifests/types";
import { renderPlanText } from "../plan/render";
import type { Plan } from "../plan/types";
import type { CommitStatusExtra } from "./notify";
import { scrub } from "./pr-comment";

/**
 * The plans of pull requests' heads the preview loop made, kept in memory for the dashboard's
 * plan page (/dashboard/plan/<sha>), which the `<context>/plan` commit status links to. Only
 * the last few are kept: a daemon that restarts forgets them, and the next push plans again.
 */
export interface StoredPlan {
  readonly sha: string;
  /** The pull request's number (a polled branch's preview number for a branch). */
  readonly number: number;
  readonly provider: string;
  /** The head's branch, when known. */
  readonly ref?: string;
  /** When the plan was made (ISO 8601). */
  readonly at: string;
  /** The plan as `simulium plan` prints it, manifest errors first, secret values cut out. */
  readonly text: string;
}

export interface PlanStore {
  put(entry: StoredPlan): void;
  get(sha: string): StoredPlan | undefined;
  readonly size: number;
}

export const MAX_STORED_PLANS = 100;
/** One plan's text at most: a page, not a memory sink (100 of them stay well under 100 MB). */
export const MAX_PLAN_TEXT_CHARS = 500_000;

/** The last `max` plans by head sha; a sha planned again moves to the newest, the oldest go. */
export function createPlanStore(max = MAX_STORED_PLANS): PlanStore {
  const plans = new Map<string, StoredPlan>();
  return {
    put(entry) {
      plans.delete(entry.sha);
      plans.set(entry.sha, entry);
      while (plans.size > max) {
        const oldest = plans.keys().next().value;
        if (oldest === undefined) break;
        plans.delete(oldest);
      }
    },
    get: (sha) => plans.get(sha),
    get size() {
      return plans.size;
    },
  };
}

export interface PlanTextInput {
  readonly plan?: Plan;
  readonly errors: readonly ManifestError[];
  /** Why no plan could be made. */
  readonly failure?: string;
  /** Values cut out of the text wherever they appear. */
  readonly secrets?: readonly string[];
}

/** The plan page's text: what `simulium plan` at the head would print. Pure. */
export function renderStoredPlanText(input: PlanTextInput): string {
  const parts: string[] = [];
  if (input.failure !== undefined) parts.push(`no plan: the head could not be planned\n${input.failure}\n`);
  if (input.errors.length > 0) {
    const lines = input.errors.map((e) => {
      const at = e.line > 0 ? `${e.file}:${e.line}${e.column > 0 ? `:${e.column}` : ""}` : e.file;
      return `${at}: ${e.path ? `${e.path}: ` : ""}${e.message}`;
    });
    parts.push(`${input.errors.length} manifest error(s) (an invalid site is left as it runs):\n${lines.join("\n")}\n`);
  }
  if (input.plan) parts.push(renderPlanText(input.plan));
  const text = scrub(parts.join("\n"), input.secrets ?? []);
  if (text.length <= MAX_PLAN_TEXT_CHARS) return text;
  const cut = text.lastIndexOf("\n", MAX_PLAN_TEXT_CHARS);
  return `${text.slice(0, cut > 0 ? cut : MAX_PLAN_TEXT_CHARS)}\n… (cut: run \`simulium plan\` at this commit for all of it)\n`;
}

/** A head sha as git names it: sha-1 or sha-256, lowercase hex. */
export function isHeadSha(value: string): boolean {
  return /^(?:[0-9a-f]{40}|[0-9a-f]{64})$/.test(value);
}

/** The plan page of `sha` under the daemon's public base URL (`--dashboard-url`). */
export function planPageUrl(base: string, sha: string): string {
  return `${base.replace(/\/+$/, "")}/dashboard/plan/${sha}`;
}

/** The `<context>/plan` status of a head: linked to its plan page when the daemon's public URL is known. */
export function planStatusExtra(sha: string, dashboardUrl: string | undefined): CommitStatusExtra {
  return { contextSuffix: "plan", ...(dashboardUrl !== undefined ? { targetUrl: planPageUrl(dashboardUrl, sha) } : {}) };
}
