import type { Issue } from "./issue";
import type { Site } from "./types";

/** `spec.civicrm` when enabled: which of its jobs the controller schedules by default. */
export interface ResolvedCivicrm {
  readonly scheduledJobs: boolean;
  /** Only with a return-path mailbox (`spec.mail.returnPath`): without one there is nothing to fetch. */
  readonly bounces: boolean;
}

export interface ResolvedHook {
  readonly command: readonly string[];
  readonly timeout: number;
}

/** `spec.hooks`: commands run as Swarm jobs in the new web image around a change of the web service. */
export interface ResolvedHooks {
  readonly preDeploy: readonly ResolvedHook[];
  readonly postDeploy: readonly ResolvedHook[];
}

const HOOK_TIMEOUT = 900;

export function resolveCivicrm(spec: Site["spec"]): ResolvedCivicrm | undefined {
  const c = spec.civicrm;
  if (!c?.enabled) return undefined;
  return { scheduledJobs: c.jobs?.scheduled ?? true, bounces: (c.jobs?.bounces ?? true) && spec.mail?.returnPath !== undefined };
}

/** Undefined when the site declares no hook: a site without hooks deploys as before. */
export function resolveHooks(spec: Site["spec"]): ResolvedHooks | undefined {
  const h = spec.hooks;
  const pre = (h?.preDeploy ?? []).flatMap((x) => ("command" in x ? [{ command: [...x.command], timeout: x.timeout ?? HOOK_TIMEOUT }] : []));
  const post = (h?.postDeploy ?? []).map((x) => ({ command: [...x.command], timeout: x.timeout ?? HOOK_TIMEOUT }));
  return pre.length + post.length === 0 ? undefined : { preDeploy: pre, postDeploy: post };
}

/** The schema admits what the format will have; these are what the controller cannot do yet. */
export function hookIssues(spec: Site["spec"]): Issue[] {
  const issues: Issue[] = [];
  (spec.hooks?.preDeploy ?? []).forEach((x, i) => {
    if ("backup" in x) issues.push({ path: ["spec", "hooks", "preDeploy", i, "backup"], message: "a backup before deploy is not available yet (backups are not built): remove this hook" });
  });
  if (spec.hooks?.restoreOnFailure) issues.push({ path: ["spec", "hooks", "restoreOnFailure"], message: "restoring on failure is not available yet (backups are not built): remove it or set false" });
  return issues;
}
