import type Docker from "dockerode";
import { applyPlan, ApplyResult } from "../apply/apply";
import type { LiveState } from "../live/types";
import { loadRegistryAuth } from "../engine/registry-auth";
import { acquireLease, LeaseOptions } from "../engine/lease";
import type { AcquireLease } from "../engine/lease-share";
import type { Logger } from "../log";
import type { LoadResult, ResolvedCluster } from "../manifests/types";
import { massDeletion } from "../plan/guard";
import { restrictPlan, withoutSites } from "../plan/restrict";
import { isMutation } from "../plan/types";
import { resolveStateDir } from "../state/store";
import type { Feature, StepContext } from "./feature";
import type { Admission, RunScope } from "./scope";
import { loadForPlan, planLoaded, PlanContext, PipelineOptions, ReadManifests } from "./pipeline";

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
  /** Engine calls apply makes at once (apply/schedule.ts); default APPLY_CONCURRENCY. */
  readonly concurrency?: number;
  /** The controller's state directory (state/store.ts). */
  readonly stateDir?: string;
  /** The age identity that decrypts sealed secrets (sealing/key-file.ts). */
  readonly sealingKeyFile?: string;
  readonly rotateVarnishSecret?: boolean;
  /** Who takes the instance lock, and how long to wait for it (engine/lease.ts). Default: "simulium", no wait. */
  readonly lock?: LeaseOptions;
  /**
   * Shown the plan before anything changes, and before the lock is taken; shown again if the
   * plan made under the lock differs. false cancels. The CLI prints it and asks for confirmation.
   */
  readonly onPlan?: (ctx: PlanContext) => Promise<boolean>;
  /** Sites done of the sites changed, while apply waits for convergence. */
  readonly onConverging?: (done: number, total: number) => void;
  /**
   * How the lock is taken (default: engine/lease.ts acquireLease). The daemon shares one hold
   * among its concurrent runs (engine/lease-share.ts).
   */
  readonly acquireLease?: AcquireLease;
  /** What this run may change beside the others in flight (the daemon, reconcile/scope.ts); without it, its whole plan. */
  readonly scope?: RunScope;
  /** The manifests of this run's commit, when not from the working tree (the daemon: git objects, reconcile/pipeline.ts). */
  readonly read?: ReadManifests;
  /**
   * Runs before each plan, with this commit's manifests and the state directory: the daemon
   * reads back what its state volume lacks from the swarm (daemon/recover-state.ts).
   */
  readonly prepareState?: (loaded: { readonly cluster: ResolvedCluster; readonly load: LoadResult }, stateDir: string) => Promise<void>;
}

export interface ReconcileOutcome {
  readonly ctx: PlanContext;
  readonly result: ApplyResult;
  /** Actions that changed something (0 on a no-op reconcile). */
  readonly mutations: number;
  /** Why nothing was applied: the scope left the plan to a later run (reconcile/scope.ts). */
  readonly deferred?: string;
  /** Sites the scope left out of the plan: other runs were changing them. */
  readonly excluded?: readonly string[];
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
 * One reconcile: plan the repository against the swarm and apply it, then the features' steps
 * after it (routing). The one code path of `simulium apply` and the daemon (both through
 * controller/features.ts, which names the features). A plan that changes nothing takes no lock
 * and writes nothing; one that does is made again under the instance lock (read-write: a
 * controller secret not made yet is made then) and applied while the lock is held.
 */
export async function reconcileWith(docker: Docker, repoDir: string, features: readonly Feature[], opts: ReconcileOptions): Promise<ReconcileOutcome> {
  const first = await reconcileOnce(docker, repoDir, features, opts);
  if (!first.again || first.outcome.deferred !== undefined) return first.outcome;
  // A locked step changed what the desired state renders from (a new certificate): once more.
  const second = await reconcileOnce(docker, repoDir, features, opts);
  // Sites either pass left to other runs are not applied from this commit.
  const excluded = [...new Set([...(first.outcome.excluded ?? []), ...(second.outcome.excluded ?? [])])].sort();
  return { ...second.outcome, mutations: first.outcome.mutations + second.outcome.mutations, ...(excluded.length > 0 ? { excluded } : {}) };
}

async function reconcileOnce(docker: Docker, repoDir: string, features: readonly Feature[], opts: ReconcileOptions): Promise<{ outcome: ReconcileOutcome; again: boolean }> {
  const stateDir = resolveStateDir(opts.stateDir);
  const pipeline: PipelineOptions = { instance: opts.instance, stateDir, sealingKeyFile: opts.sealingKeyFile, rotateVarnishSecret: opts.rotateVarnishSecret };
  const scope = opts.scope;
  const take: AcquireLease = opts.acquireLease ?? ((instance, lock) => acquireLease(docker, instance, lock));
  let lease: Awaited<ReturnType<AcquireLease>> | undefined;
  try {
    const loaded = await loadForPlan(repoDir, { ...pipeline, ...(opts.read ? { read: opts.read } : {}) });
    await opts.prepareState?.(loaded, stateDir);
    // Sites a later run changed (reconcile/scope.ts): never this run's to act on again.
    let newer: readonly string[] = [];
    const restrict = (ctx: PlanContext): PlanContext => ({ ...ctx, plan: withoutSites(restrictPlan(ctx.plan, opts.sites ?? []), newer) });
    let ctx: PlanContext;
    let admission: Admission = { kind: "all" };
    for (;;) {
      // Before the swarm is read: a run that ends after this makes the plan stale (reconcile/scope.ts).
      newer = scope?.planning() ?? [];
      ctx = restrict(await planLoaded(docker, loaded, features, { ...pipeline, mode: "read-only" }));
      // Shown (and confirmed) before the lock is taken: a prompt left open must not block the daemon.
      await approve(ctx, opts);
      // A held update is not sent (unless retried), so it alone changes nothing.
      const changes = ctx.plan.actions.some((a) => isMutation(a) && !(a.op === "update" && a.held && !opts.retryFailed));
      if (changes && !lease) lease = await take(ctx.cluster.instance, { ...(opts.lock ?? { what: "simulium" }), onRenewError: (err) => opts.log.warn({ err: err.message }, "could not renew the instance lock") });
      if (lease) {
        // Under the lock, the swarm as it is now: another holder may just have changed it.
        const again = restrict(await planLoaded(docker, loaded, features, { ...pipeline, mode: "read-write" }));
        if (planKey(again.plan) !== planKey(ctx.plan)) await approve(again, opts);
        ctx = again;
      }
      if (!scope) break;
      // The whole plan was approved (the mass-deletion guard saw every removal); the scope then takes its part.
      admission = await scope.admit(ctx.plan);
      if (admission.kind !== "replan") break;
    }
    if (admission.kind === "defer") {
      opts.log.info({ why: admission.why }, "reconcile deferred: nothing applied, the next run does it");
      return { outcome: { ctx, result: { sites: [], ok: true }, mutations: 0, deferred: admission.why }, again: false };
    }
    // The admission may have waited for other runs while this one held the lock: it may be
    // lost since (taken over after it expired). Nothing is changed under a lock held by another.
    const lostWith = lease?.lost();
    if (lostWith) throw lostWith;
    const except = admission.kind === "except" ? admission.sites : [];
    if (except.length > 0) ctx = { ...ctx, plan: withoutSites(ctx.plan, except) };
    const excluded = [...new Set([...newer, ...except])].sort();
    if (excluded.length > 0) opts.log.info({ excluded }, "sites other runs are changing, or changed from a newer commit, are left out of this one");
    const plan = ctx.plan;
    const auth = await loadRegistryAuth(ctx.cluster.registryAuth?.configFile);
    const step: StepContext = { load: ctx.load, cluster: ctx.cluster, desired: ctx.desired, plan, secretValue: ctx.secretValue, stateDir, commit: opts.commit, auth, log: opts.log, pollMs: opts.pollMs };
    const followers = features.flatMap((f) => f.follow?.(docker, step) ?? []);
    const hooks = features.find((f) => f.deployHooks)?.deployHooks?.(docker, step);
    const result = await applyPlan(docker, plan, ctx.live, {
      instance: ctx.cluster.instance,
      commit: opts.commit,
      auth,
      ...(hooks ? { hooks } : {}),
      timeoutSeconds: opts.timeoutSeconds ?? ctx.cluster.update.timeoutSeconds,
      log: opts.log,
      pollMs: opts.pollMs,
      ...(opts.concurrency !== undefined ? { concurrency: opts.concurrency } : {}),
      retryFailed: opts.retryFailed,
      secretValue: ctx.secretValue,
      ...(followers.length > 0 ? { onProgress: (live: LiveState) => followAll(followers, live) } : {}),
      ...(opts.onConverging ? { onConverging: opts.onConverging } : {}),
    });
    for (const f of features) await f.afterApply?.(docker, step, result);
    let again = false;
    const locked = scope?.lockedSteps === false ? [] : features.filter((f) => f.locked?.wants(step));
    if (locked.length > 0) {
      // Taken for these steps when the plan changed nothing; held elsewhere, they are left to its holder.
      lease ??= await take(ctx.cluster.instance, opts.lock ?? { what: "simulium" }).catch((err: unknown) => {
        opts.log.warn({ err: err instanceof Error ? err.message : String(err), steps: locked.map((f) => f.name) }, "the instance lock is held elsewhere; steps that need it are left to its holder");
        return undefined;
      });
      if (lease) for (const f of locked) if ((await f.locked?.run(docker, step))?.again) again = true;
    }
    return { outcome: { ctx, result, mutations: plan.actions.filter(isMutation).length, ...(excluded.length > 0 ? { excluded } : {}) }, again };
  } finally {
    scope?.done();
    // A lease that cannot be given back expires by itself (engine/lease.ts).
    await lease?.release().catch((err: unknown) => opts.log.warn({ err: err instanceof Error ? err.message : String(err) }, "could not release the instance lock"));
  }
}

async function followAll(followers: readonly ((live: LiveState) => Promise<void>)[], live: LiveState): Promise<void> {
  for (const f of followers) await f(live);
}
