import type { Issue } from "./issue";
import type { ResolvedCivicrm, ResolvedHook, ResolvedHooks, Site } from "./types";

export type { ResolvedCivicrm, ResolvedHook, ResolvedHooks };

/** `spec.civicrm` when enabled: which of its jobs the controller schedules by default. */
const HOOK_TIMEOUT = 900;

export function resolveCivicrm(spec: Site["spec"]): ResolvedCivicrm | undefined {
  const c = spec.civicrm;
  if (!c?.enabled) return undefined;
  return { scheduledJobs: c.jobs?.scheduled ?? true, bounces: (c.jobs?.bounces ?? true) && spec.mail?.returnPath !== undefined };
}

/** Undefined when the site declares no hook: a site without hooks deploys as before. */
export function resolveHooks(spec: Site["spec"]): ResolvedHooks | undefined {
  const h = spec.hooks;
  const pre = (h?.preDeploy ?? []).map((x): ResolvedHook => ("command" in x ? { command: [...x.command], timeout: x.timeout ?? HOOK_TIMEOUT } : { backup: true }));
  const post = (h?.postDeploy ?? []).map((x) => ({ command: [...x.command], timeout: x.timeout ?? HOOK_TIMEOUT }));
  if (pre.length + post.length === 0) return undefined;
  return { preDeploy: pre, postDeploy: post, ...(h?.restoreOnFailure ? { restoreOnFailure: true } : {}) };
}

/** Rules of `spec.hooks` the schema cannot express. */
export function hookIssues(spec: Site["spec"]): Issue[] {
  const issues: Issue[] = [];
  const backups = (spec.hooks?.preDeploy ?? []).filter((x) => "backup" in x).length;
  if (backups > 1) issues.push({ path: ["spec", "hooks", "preDeploy"], message: "one `backup: true` hook is enough: remove the others" });
  if (spec.hooks?.restoreOnFailure && backups === 0) {
    issues.push({ path: ["spec", "hooks", "restoreOnFailure"], message: "restoreOnFailure restores the backup made before the deploy: add `- backup: true` to spec.hooks.preDeploy" });
  }
  if (spec.hooks?.restoreOnFailure && !spec.database) {
    issues.push({ path: ["spec", "hooks", "restoreOnFailure"], message: "restoreOnFailure restores the database, and this site has none: remove it" });
  }
  return issues;
}
