import type Docker from "dockerode";
import { applyPlan, ApplyResult, secretValues } from "../apply/apply";
import { AuthLookup, loadRegistryAuth } from "../engine/registry-auth";
import { backupHooks } from "../backup/hook";
import { loadAndSwapScript } from "../database/load-swap";
import { DeployHooks, deployHooks } from "../jobs/hooks";
import type { Logger } from "../log";
import { massDeletion } from "../plan/guard";
import { restrictPlan } from "../plan/restrict";
import { isMutation } from "../plan/types";
import { redactKnown, siteSecretValues } from "../jobs/redact-output";
import { varnishSecretLookup, resolveStateDir } from "../routing/admin-secret";
import { creditFollowed, followRouting } from "../routing/follow";
import { routeAfterApply } from "../routing/after-apply";
import type { RoutingResult } from "../routing/sync";
import { planRepo, PlanContext } from "./pipeline";

export interface ReconcileOptions {
  readonly instance?: string;
  readonly commit: string;
  readonly log: Logger;
  readonly sites?: readonly string[];
  readonly allowMassDelete?: boolean;
  /** Retry updates Swarm already rolled back (an operator's explicit apply, never a periodic run). */
  readonly retryFailed?: boolean;
  readonly timeoutSeconds?: number;
  readonly pollMs?: number;
  /** Controller state (the Varnish admin secret); see routing/admin-secret.ts. */
  readonly stateDir?: string;
  /** The age identity that decrypts sealed secrets (sealing/key-file.ts). */
  readonly sealingKeyFile?: string;
}

export interface ReconcileOutcome {
  readonly ctx: PlanContext;
  readonly result: ApplyResult;
  /** Actions that changed something (0 on a no-op reconcile). */
  readonly mutations: number;
  /** The VCL pushed to Varnish after the apply; null when no Varnish is configured. */
  readonly routing: RoutingResult | null;
}

export class MassDeletionRefused extends Error {
  constructor(readonly removing: readonly string[], readonly running: number) {
    super(
      `refusing to remove ${removing.length} of ${running} running sites (${removing.join(", ")}); ` +
        "if that is intended, apply with --allow-mass-delete",
    );
  }
}

/**
 * The sites' deploy hooks (commands, and backups before a deploy) for one apply: the same for
 * the daemon's reconciles and `simulium apply`, so a code update migrates its database
 * whichever way it is deployed.
 */
export function siteHooks(docker: Docker, ctx: PlanContext, opts: { stateDir: string; commit: string; auth: AuthLookup; log: Logger }): DeployHooks {
  const backups = backupHooks(docker, { cluster: ctx.cluster, sites: ctx.load.sites, desired: ctx.desired, stateDir: opts.stateDir, commit: opts.commit, auth: opts.auth, log: opts.log, loadSwapScript: loadAndSwapScript() });
  // Hook output is stored (labels, /status, logs): the values the controller knows are taken out.
  const known = siteSecretValues(ctx.desired, secretValues(ctx.sealedValue, varnishSecretLookup(opts.stateDir, ctx.cluster.instance)));
  return deployHooks(docker, ctx.load.sites, opts.auth, opts.log, backups, (site, text) => redactKnown(text, known(site)));
}

/** One reconcile: plan the repository against the swarm and apply it. No prompt; the caller decided. */
export async function reconcile(docker: Docker, repoDir: string, opts: ReconcileOptions): Promise<ReconcileOutcome> {
  const stateDir = resolveStateDir(opts.stateDir);
  const full = await planRepo(docker, repoDir, { instance: opts.instance, stateDir, sealingKeyFile: opts.sealingKeyFile });
  const plan = restrictPlan(full.plan, opts.sites ?? []);
  const ctx = { ...full, plan };
  const mass = massDeletion(plan, ctx.live);
  if (mass && !opts.allowMassDelete) throw new MassDeletionRefused(mass.removing, mass.running);
  const follower = followRouting(docker, { cluster: ctx.cluster, sites: ctx.load.sites, invalidSites: ctx.load.invalidSites, stateDir, log: opts.log });
  const auth = await loadRegistryAuth(ctx.cluster.registryAuth?.configFile);
  const result = await applyPlan(docker, plan, ctx.live, {
    instance: ctx.cluster.instance,
    commit: opts.commit,
    auth,
    hooks: siteHooks(docker, ctx, { stateDir, commit: opts.commit, auth, log: opts.log }),
    timeoutSeconds: opts.timeoutSeconds ?? ctx.cluster.update.timeoutSeconds,
    log: opts.log,
    pollMs: opts.pollMs,
    retryFailed: opts.retryFailed,
    secretValue: secretValues(ctx.sealedValue, varnishSecretLookup(stateDir, ctx.cluster.instance)),
    ...(follower ? { onProgress: follower.onProgress } : {}),
  });
  const routing = await routeAfterApply(docker, {
    cluster: ctx.cluster,
    sites: ctx.load.sites,
    invalidSites: ctx.load.invalidSites,
    stateDir,
    log: opts.log,
    pollMs: opts.pollMs,
  });
  return { ctx, result, mutations: plan.actions.filter(isMutation).length, routing: creditFollowed(routing, follower) };
}
