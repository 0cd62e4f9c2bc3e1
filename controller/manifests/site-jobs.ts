import type { Issue } from "./issue";
import type { Site } from "./types";

/** `spec.civicrm` when enabled: which of its jobs the controller schedules by default. */
export interface ResolvedCivicrm {
  readonly scheduledJobs: boolean;
  /** Only with a return-path mailbox (`spec.mail.returnPath`): without one there is nothing to fetch. */
  readonly bounces: boolean;
}

/** A command run in the new web image, or (preDeploy only) a backup of the site with restic. */
export type ResolvedHook = { readonly command: readonly string[]; readonly timeout: number } | { readonly backup: true };

/** `spec.hooks`: commands run as Swarm jobs in the new web image around a change of the web service. */
export interface ResolvedHooks {
  readonly preDeploy: readonly ResolvedHook[];
  readonly postDeploy: readonly ResolvedHook[];
  /** On a postDeploy failure: web back to its previous spec, the database back from the preDeploy backup. */
  readonly restoreOnFailure?: true;
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
