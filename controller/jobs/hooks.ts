import type Docker from "dockerode";
import type { ServiceSpec } from "../desired/types";
import type { AuthLookup } from "../engine/registry-auth";
import type { Logger } from "../log";
import type { ResolvedSite } from "../manifests/types";
import type { ResolvedHook } from "../manifests/site-jobs";
import type { Plan, UpdateAction } from "../plan/types";
import { tailLines } from "./cron-plan";
import { JobError, runJob } from "./run-job";
import { jobKind } from "./site-web";

export type HookPhase = "preDeploy" | "postDeploy";

/** How a `backup: true` hook shows in a plan and in messages: what an operator would run. */
const BACKUP_COMMAND = ["simulium", "backup"];

/** A hook the plan will run: the web service's update is a change of its desired spec. */
export interface PlannedHook {
  readonly site: string;
  readonly phase: HookPhase;
  readonly command: readonly string[];
}

/**
 * Hooks belong to a deploy: an update of the web service that changes what it runs (see
 * UpdateAction.deploy). A drift correction puts back the spec the hooks already ran for, a
 * change of domains or cache settings is a label, and a no-op reconcile has no update at all:
 * none of them runs a hook.
 */
export function isDeployChange(a: Plan["actions"][number]): a is UpdateAction {
  return a.op === "update" && a.deploy;
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
  return hooks.map((h) => `  ${h.site}: will run ${h.phase}: ${h.command.join(" ")}\n`).join("");
}

/** The apply path's view of hooks: the failure message, or undefined when every hook passed. */
export interface DeployHooks {
  has(site: string, phase: HookPhase): boolean;
  run(site: string, phase: HookPhase, web: ServiceSpec): Promise<string | undefined>;
  /**
   * After a failed postDeploy, for a site with `restoreOnFailure`: what was put back (web's
   * previous spec, the database of the preDeploy backup) or why it could not be; undefined
   * when the site did not ask for it.
   */
  recover?(site: string): Promise<string | undefined>;
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

/** Runs each hook of the phase in turn as a Swarm job in the given (new) web spec; stops at the first failure. */
export function deployHooks(docker: Docker, sites: readonly ResolvedSite[], auth: AuthLookup, log: Logger, backups?: BackupHooks): DeployHooks {
  const of = (site: string, phase: HookPhase): readonly ResolvedHook[] => sites.find((s) => s.name === site)?.hooks?.[phase] ?? [];
  return {
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
}
