import type { ManifestError } from "../manifests/types";
import { renderPlanText } from "../plan/render";
import type { Plan } from "../plan/types";
import type { StateStore } from "../state/store";
import type { CommitStatusExtra } from "./notify";
import { scrub } from "./pr-comment";

/**
 * The plans of pull requests' heads the preview loop made, for the dashboard's plan page
 * (/dashboard/plan/<sha>), which the `<context>/plan` commit status and the PR comment link to.
 * The last few are kept, in the state directory when the daemon has one, so a link in a pull
 * request still opens after the daemon restarts.
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

const PLANS_DIR = "plans";

/**
 * The last `max` plans by head sha; a sha planned again moves to the newest, the oldest go.
 * With `disk` (the instance's state store, once known), each plan is also written to
 * `plans/<sha>.json` (0600: a plan names the sites' objects) and read back after a restart;
 * the folder is pruned to the same bound by age.
 */
export interface PlanDisk {
  /** The instance's state store, once known. */
  readonly store: () => StateStore | undefined;
  /** A plan that could not be written or pruned stays in memory; this says why. */
  readonly onError: (err: unknown) => void;
}

export function createPlanStore(max = MAX_STORED_PLANS, disk?: PlanDisk): PlanStore {
  const plans = new Map<string, StoredPlan>();
  const remember = (entry: StoredPlan): void => {
    plans.delete(entry.sha);
    plans.set(entry.sha, entry);
    while (plans.size > max) {
      const oldest = plans.keys().next().value;
      if (oldest === undefined) break;
      plans.delete(oldest);
    }
  };
  return {
    put(entry) {
      remember(entry);
      const store = disk?.store();
      if (!store || !isHeadSha(entry.sha)) return;
      try {
        store.replace(`${PLANS_DIR}/${entry.sha}.json`, JSON.stringify(entry));
        const files = store.list(PLANS_DIR).filter((f) => f.name.endsWith(".json"));
        for (const f of files.slice(0, Math.max(0, files.length - max))) store.remove(`${PLANS_DIR}/${f.name}`);
      } catch (err) {
        disk?.onError(err);
      }
    },
    get(sha) {
      const known = plans.get(sha);
      if (known) return known;
      // Only a sha names a file: a request path never reaches the file system otherwise.
      const store = disk?.store();
      if (!store || !isHeadSha(sha)) return undefined;
      let found: StoredPlan | undefined;
      try {
        found = parseStoredPlan(store.read(`${PLANS_DIR}/${sha}.json`), sha);
      } catch (err) {
        disk?.onError(err);
      }
      if (found) remember(found);
      return found;
    },
    get size() {
      return plans.size;
    },
  };
}

/** A stored plan file read back, or undefined when missing or not one (a half-written or foreign file). Pure. */
export function parseStoredPlan(bytes: Buffer | undefined, sha: string): StoredPlan | undefined {
  if (bytes === undefined) return undefined;
  let v: unknown;
  try {
    v = JSON.parse(bytes.toString("utf8"));
  } catch {
    return undefined;
  }
  if (typeof v !== "object" || v === null) return undefined;
  const o = v as Record<string, unknown>;
  if (o.sha !== sha || typeof o.number !== "number" || typeof o.provider !== "string" || typeof o.at !== "string" || typeof o.text !== "string") return undefined;
  if (o.ref !== undefined && typeof o.ref !== "string") return undefined;
  return { sha, number: o.number, provider: o.provider, at: o.at, text: o.text, ...(typeof o.ref === "string" ? { ref: o.ref } : {}) };
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
