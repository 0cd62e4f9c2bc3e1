import type Docker from "dockerode";
import type { AuthLookup } from "../engine/registry-auth";
import type { Logger } from "../log";
import type { ResolvedSite } from "../manifests/types";
import type { ResolvedHook } from "../manifests/site-jobs";
import type { DeployHooks, HookPhase } from "../apply/deploy-hooks";
import { describeSlot, HOOK_SLOT } from "../plan/sync";
import { isDeployChange, Plan } from "../plan/types";

export type { DeployHooks, HookPhase };
export { isDeployChange };
import { tailLines } from "./cron-plan";
import { JobError, runJob } from "./run-job";
import { jobKind } from "./site-web";


/** How a `backup: true` hook shows in a plan and in messages: what an operator would run. */
const BACKUP_COMMAND = ["simulium", "backup"];

/** A hook the plan will run: the web service's update is a change of its desired spec. */
export interface PlannedHook {
  readonly site: string;
  readonly phase: HookPhase;
  readonly command: readonly string[];
}

/** What `simulium plan` shows. Pure. */
export function plannedHooks(plan: Plan, sites: readonly ResolvedSite[]): PlannedHook[] {
  const out: PlannedHook[] = [];
  for (const a of plan.actions) {
    if (!isDeployChange(a) || a.site === null || a.held) continue;
    const hooks = sites.find((s) => s.name === a.site)?.hooks;
    for (const h of hooks?.preDeploy ?? []) out.push({ site: a.site, phase: "preDeploy", command: "command" in h ? h.command : BACKUP_COMMAND });
    for (const h of hooks?.postDeploy ?? []) out.push({ site: a.site, phase: "postDeploy", command: "command" in h ? h.command : BACKUP_COMMAND });
  }
  return out;
}

export function renderPlannedHooks(hooks: readonly PlannedHook[]): string {
  return hooks.map((h) => `  ${h.site}: will run ${h.phase}: ${h.command.join(" ")}  [${describeSlot(HOOK_SLOT[h.phase])}]\n`).join("");
}

/** Backups as hooks need them (backup/hook.ts); absent when simulium.yaml enables no backups. */
export interface BackupHooks {
  /** A backup of the site now, remembered as the one a recovery restores; the failure message, or undefined. */
  backup(site: string): Promise<string | undefined>;
  /** Web back to its previous spec and the database back from the remembered backup; what was done. */
  recover(site: string): Promise<string>;
}

/** Why a hook failed, for the site's status: the command, its exit code, its last lines. Pure. */
export function hookFailure(phase: HookPhase, hook: { readonly command: readonly string[] }, outcome: { exitCode: number; output: string } | { error: string }): string {
  const what = `${phase} ${JSON.stringify(hook.command.join(" "))}`;
  if ("error" in outcome) return `${what} did not run to an end: ${outcome.error}`;
  const tail = tailLines(outcome.output, 10);
  return `${what} failed with exit code ${outcome.exitCode}${tail ? `: ${tail}` : ""}`;
}

/**
 * Runs each hook of the phase in turn as a Swarm job in the given (new) web spec; stops at the
 * first failure. Every message returned carries job output that goes into labels, /status,
 * notifications and logs: `redact` takes the site's known secret values out of it first.
 */
export function deployHooks(
  docker: Docker,
  sites: readonly ResolvedSite[],
  auth: AuthLookup,
  log: Logger,
  backups?: BackupHooks,
  redact: (site: string, text: string) => string = (_site, text) => text,
): DeployHooks {
  const of = (site: string, phase: HookPhase): readonly ResolvedHook[] => sites.find((s) => s.name === site)?.hooks?.[phase] ?? [];
  const redacted = async (site: string, message: Promise<string | undefined>): Promise<string | undefined> => {
    const m = await message;
    return m === undefined ? undefined : redact(site, m);
  };
  const hooks: DeployHooks = {
    has: (site, phase) => of(site, phase).length > 0,
    async recover(site) {
      if (!sites.find((s) => s.name === site)?.hooks?.restoreOnFailure) return undefined;
      if (!backups) return "restoreOnFailure: nothing restored, backups are not enabled in simulium.yaml (spec.backup)";
      return backups.recover(site);
    },
    async run(site, phase, web) {
      for (const hook of of(site, phase)) {
        const started = Date.now();
        let failure: string | undefined;
        if (!("command" in hook)) {
          const failed = backups ? await backups.backup(site) : "backups are not enabled in simulium.yaml (spec.backup)";
          failure = failed === undefined ? undefined : `${phase} backup failed: ${failed}`;
          log.info({ site, phase, backup: true, ok: failure === undefined, durationSeconds: (Date.now() - started) / 1000 }, `audit: ${phase} backup ran`);
          if (failure) return failure;
          continue;
        }
        try {
          const r = await runJob(docker, { web, command: hook.command, timeoutSeconds: hook.timeout, kind: jobKind(phase.toLowerCase(), "hook", site), auth: auth(web.shape.image) });
          if (r.exitCode !== 0) failure = hookFailure(phase, hook, r);
        } catch (err) {
          if (!(err instanceof JobError)) throw err;
          failure = hookFailure(phase, hook, { error: err.message });
        }
        log.info({ site, phase, command: hook.command, ok: failure === undefined, durationSeconds: (Date.now() - started) / 1000 }, `audit: ${phase} hook ran`);
        if (failure) return failure;
      }
      return undefined;
    },
  };
  return {
    has: hooks.has,
    recover: (site) => redacted(site, hooks.recover?.(site) ?? Promise.resolve(undefined)),
    run: (site, phase, web) => redacted(site, hooks.run(site, phase, web)),
  };
}
