import type Docker from "dockerode";
import { applyPlan, ApplyResult } from "../apply/apply";
import { AuthLookup, loadRegistryAuth } from "../engine/registry-auth";
import { acquireLease, LeaseOptions } from "../engine/lease";
import { backupHooks } from "../backup/hook";
import { loadAndSwapScript } from "../database/load-swap";
import { DeployHooks, deployHooks } from "../jobs/hooks";
import type { Logger } from "../log";
import { massDeletion } from "../plan/guard";
import { restrictPlan } from "../plan/restrict";
import { isMutation } from "../plan/types";
import { redactKnown, siteSecretValues } from "../jobs/redact-output";
import { resolveStateDir, StateStore } from "../state/store";
import { accountKey } from "../state/tls-store";
import { renewCertificates, SiteTlsOutcome, sitesDue } from "../tls/renew";
import { creditFollowed, followRouting } from "../routing/follow";
import { routeAfterApply } from "../routing/after-apply";
import type { RoutingResult } from "../routing/sync";
import { loadForPlan, planLoaded, PlanContext, PipelineOptions } from "./pipeline";

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
  /** The controller's state directory (state/store.ts). */
  readonly stateDir?: string;
  /** The age identity that decrypts sealed secrets (sealing/key-file.ts). */
  readonly sealingKeyFile?: string;
  readonly acceptResticPasswordChange?: boolean;
  readonly rotateVarnishSecret?: boolean;
  /** Who takes the instance lock, and how long to wait for it (engine/lease.ts). Default: "simulium", no wait. */
  readonly lock?: LeaseOptions;
  /**
   * Shown the plan before anything changes, and before the lock is taken; shown again if the
   * plan made under the lock differs. false cancels. The CLI prints it and asks for confirmation.
   */
  readonly onPlan?: (ctx: PlanContext) => Promise<boolean>;
}

export interface ReconcileOutcome {
  readonly ctx: PlanContext;
  readonly result: ApplyResult;
  /** Actions that changed something (0 on a no-op reconcile). */
  readonly mutations: number;
  /** The VCL pushed to Varnish after the apply; null when no Varnish is configured. */
  readonly routing: RoutingResult | null;
  /** Certificates ordered in this reconcile (tls/renew.ts), per site; empty when none was due. */
  readonly tls: readonly SiteTlsOutcome[];
}

export class MassDeletionRefused extends Error {
  constructor(readonly removing: readonly string[], readonly running: number) {
    super(
      `refusing to remove ${removing.length} of ${running} running sites (${removing.join(", ")}); ` +
        "if that is intended, apply with --allow-mass-delete",
    );
  }
}

/** The mass-deletion guard, then the caller's look at the plan (the CLI's confirmation). */
async function approve(ctx: PlanContext, opts: ReconcileOptions): Promise<void> {
  const mass = massDeletion(ctx.plan, ctx.live);
  if (mass && !opts.allowMassDelete) throw new MassDeletionRefused(mass.removing, mass.running);
  if (opts.onPlan && !(await opts.onPlan(ctx))) throw new ApplyCancelled();
}

/** What a plan would do, to tell whether the plan made under the lock is the one approved. */
function planKey(plan: PlanContext["plan"]): string {
  // A controller secret not made yet is `…-new` in the read-only plan and gets its hash under the lock: the same action.
  const name = (n: string): string => n.replace(/-(new|[0-9a-f]{10})$/, "");
  return plan.actions.map((a) => `${a.op} ${a.kind} ${name(a.name)} ${a.changes.map((c) => `${c.op}${c.field}`).join(",")}`).join("\n");
}

export class ApplyCancelled extends Error {
  constructor() {
    super("apply cancelled: nothing was changed");
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
  const known = siteSecretValues(ctx.desired, ctx.secretValue);
  return deployHooks(docker, ctx.load.sites, opts.auth, opts.log, backups, (site, text) => redactKnown(text, known(site)));
}

/** The account first, then the VCL that answers its challenges, then the orders. */
async function orderDue(docker: Docker, ctx: PlanContext, stateDir: string, opts: ReconcileOptions): Promise<SiteTlsOutcome[]> {
  const store = new StateStore(stateDir, ctx.cluster.instance, "read-write");
  accountKey(store);
  await routeAfterApply(docker, { cluster: ctx.cluster, sites: ctx.load.sites, invalidSites: ctx.load.invalidSites, stateDir, log: opts.log, pollMs: opts.pollMs });
  return renewCertificates({ cluster: ctx.cluster, sites: ctx.load.sites, store, log: opts.log });
}

/**
 * One reconcile: plan the repository against the swarm and apply it, then route. The one code
 * path of `simulium apply` and the daemon. A plan that changes nothing takes no lock and
 * writes nothing; one that does is made again under the instance lock (read-write: a
 * controller secret not made yet is made then) and applied while the lock is held.
 */
export async function reconcile(docker: Docker, repoDir: string, opts: ReconcileOptions): Promise<ReconcileOutcome> {
  const first = await reconcileOnce(docker, repoDir, opts);
  if (!first.tls.some((t) => t.issued !== undefined)) return first;
  // A new certificate is a new secret and a rolling update of the terminator: the same loop once more.
  const second = await reconcileOnce(docker, repoDir, opts);
  return { ...second, mutations: first.mutations + second.mutations, tls: [...first.tls, ...second.tls] };
}

async function reconcileOnce(docker: Docker, repoDir: string, opts: ReconcileOptions): Promise<ReconcileOutcome> {
  const stateDir = resolveStateDir(opts.stateDir);
  const pipeline: PipelineOptions = { instance: opts.instance, stateDir, sealingKeyFile: opts.sealingKeyFile, acceptResticPasswordChange: opts.acceptResticPasswordChange, rotateVarnishSecret: opts.rotateVarnishSecret };
  const loaded = await loadForPlan(repoDir, pipeline);
  const restrict = (ctx: PlanContext): PlanContext => ({ ...ctx, plan: restrictPlan(ctx.plan, opts.sites ?? []) });
  let ctx = restrict(await planLoaded(docker, loaded, { ...pipeline, mode: "read-only" }));
  // Shown (and confirmed) before the lock is taken: a prompt left open must not block the daemon.
  await approve(ctx, opts);
  // A held update is not sent (unless retried), so it alone changes nothing.
  const changes = ctx.plan.actions.some((a) => isMutation(a) && !(a.op === "update" && a.held && !opts.retryFailed));
  let lease = changes ? await acquireLease(docker, ctx.cluster.instance, { ...(opts.lock ?? { what: "simulium" }), onRenewError: (err) => opts.log.warn({ err: err.message }, "could not renew the instance lock") }) : undefined;
  try {
    if (lease) {
      // Under the lock, the swarm as it is now: another holder may just have changed it.
      const again = restrict(await planLoaded(docker, loaded, { ...pipeline, mode: "read-write" }));
      if (planKey(again.plan) !== planKey(ctx.plan)) await approve(again, opts);
      ctx = again;
    }
    const plan = ctx.plan;
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
      secretValue: ctx.secretValue,
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
    // ACME after routing: the sites' domains route to Varnish, which answers the challenges.
    const store = new StateStore(stateDir, ctx.cluster.instance, "read-only");
    let tls: SiteTlsOutcome[] = [];
    if (sitesDue(ctx.cluster, ctx.load.sites, store, new Date()).length > 0) {
      // Only the holder of the instance lock orders: never two ACME clients for one instance.
      lease = lease ?? (await acquireLease(docker, ctx.cluster.instance, { ...(opts.lock ?? { what: "simulium" }) }).catch((err: unknown) => {
        opts.log.warn({ err: err instanceof Error ? err.message : String(err) }, "tls: the instance lock is held elsewhere; certificates are left to its holder");
        return undefined;
      }));
      if (lease) tls = await orderDue(docker, ctx, stateDir, opts);
    }
    return { ctx, result, mutations: plan.actions.filter(isMutation).length, routing: creditFollowed(routing, follower), tls };
  } finally {
    // A lease that cannot be given back expires by itself (engine/lease.ts).
    await lease?.release().catch((err: unknown) => opts.log.warn({ err: err instanceof Error ? err.message : String(err) }, "could not release the instance lock"));
  }
}
