import type Docker from "dockerode";
import { mkdtemp, mkdir, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { loadRegistryAuth } from "../engine/registry-auth";
import type { Logger } from "../log";
import { summaryLine } from "../plan/render";
import { planRepo } from "../features";
import type { PlanContext } from "../reconcile/pipeline";
import { PreviewState, readPreviewState, writePreviewState } from "../reconcile/previews-state";
import { StateStore } from "../state/store";
import type { GitSource } from "../source/git";
import { parsePullRequestEvent } from "../source/pull-request";
import { BRANCH_PROVIDER, branchActions, SeenBranches } from "./branch-previews";
import type { PullRequestComments } from "./forge-comments";
import type { CommitStatusExtra } from "./notify";
import { CommentPreview, PlanCommentInput, planCommentMarker, renderPlanComment } from "./pr-comment";
import { createPlanStore, planPageUrl, planStatusExtra, renderStoredPlanText, StoredPlan } from "./plan-store";
import { commentPreviews, PreviewEvent, previewStatus, previewTransition, pullRef, seedPreview } from "./previews";

/**
 * The daemon's loop for pull requests: a verified `pull_request` / `merge_request` webhook
 * changes the preview state and asks for a reconcile (which deploys or removes the previews);
 * after each reconcile, new previews are seeded from their site's latest backup and their
 * commit status names their URL. The plan of the head against the live swarm is posted as a
 * commit status of its own (`<context>/plan`) and, with a forge API for comments, as one
 * comment on the pull request edited in place on every push (pr-comment.ts).
 */
export interface PreviewLoopOptions {
  readonly docker: Docker;
  readonly source: GitSource;
  readonly stateDir: string;
  readonly sealingKeyFile?: string;
  readonly log: Logger;
  /** Posts a commit status on the forge (notify.ts); undefined when none is configured. */
  readonly setStatus?: (sha: string, state: "pending" | "success" | "failure" | "error", description: string, extra?: CommitStatusExtra) => Promise<unknown>;
  /** Puts the plan comment on the pull request (forge-comments.ts); undefined when not configured. */
  readonly comments?: PullRequestComments;
  /** Asks the daemon for a reconcile. */
  readonly trigger: (reason: string) => void;
  /**
   * The daemon's public base URL (`--dashboard-url`): the plan status then links the head's
   * plan page there (/dashboard/plan/<sha>). Without it the status has no link.
   */
  readonly dashboardUrl?: string;
  readonly now?: () => Date;
}

export interface PreviewLoop {
  /** A verified webhook: true when it was a pull-request event (handled here), false otherwise. */
  onWebhook(provider: string, event: string | undefined, body: Buffer): boolean;
  /**
   * Every poll: with simulium.yaml `spec.previews.branches`, lists the remote's branches and
   * previews the new or moved ones like pull requests, removing those of deleted branches.
   */
  pollBranches(): Promise<void>;
  /** After every successful reconcile: seeds new previews and posts their statuses. */
  afterReconcile(ctx: PlanContext, deployedCommit: string): Promise<void>;
  /** The last plan made of a head (the last 100 heads are kept), for the dashboard's plan page. */
  planFor(sha: string): StoredPlan | undefined;
  /** Resolves when the events received so far are handled (tests). */
  idle(): Promise<void>;
}

export function createPreviewLoop(opts: PreviewLoopOptions): PreviewLoop {
  const now = opts.now ?? (() => new Date());
  let chain: Promise<unknown> = Promise.resolve();
  let last: { ctx: PlanContext; commit: string } | undefined;
  const posted = new Set<string>();
  // The last comment of each open pull request: the reconcile's outcome (a preview ready) edits it.
  const commented = new Map<number, { readonly pr: PreviewEvent; readonly input: PlanCommentInput }>();
  let seenBranches: SeenBranches = new Map();
  // On disk once the instance is known (the first reconcile): a PR's plan link outlives a restart.
  const plans = createPlanStore(undefined, {
    store: () => (last ? new StateStore(opts.stateDir, last.ctx.cluster.instance, "read-write") : undefined),
    onError: (err) => opts.log.warn({ err: err instanceof Error ? err.message : String(err) }, "a pull request's plan page could not be stored on disk: kept in memory only"),
  });
  const planLink = (sha: string): CommitStatusExtra => planStatusExtra(sha, opts.dashboardUrl);
  const commentPlanUrl = (sha: string): { planUrl?: string } => (opts.dashboardUrl !== undefined ? { planUrl: planPageUrl(opts.dashboardUrl, sha) } : {});
  const keepPlan = (pr: PreviewEvent, text: string): void =>
    plans.put({ sha: pr.headSha, number: pr.number, provider: pr.provider, ...(pr.headRef ? { ref: pr.headRef } : {}), at: now().toISOString(), text });
  // Events and post-reconcile work take turns: both read and write previews.json.
  const serial = (fn: () => Promise<void>): Promise<void> => {
    const next = chain
      .then(fn)
      .catch((err: unknown) => opts.log.error({ err: err instanceof Error ? err.message : String(err) }, "pull request preview failed"));
    chain = next;
    return next;
  };
  const status = async (sha: string, s: ReturnType<typeof previewStatus>) => {
    await opts
      .setStatus?.(sha, s.state, s.description, {
        contextSuffix: s.contextSuffix,
        ...(s.targetUrl ? { targetUrl: s.targetUrl } : {}),
      })
      .catch(() => undefined);
  };

  const handle = async (event: PreviewEvent): Promise<void> => {
    if (!last) {
      opts.log.warn({ number: event.number }, "pull request event before the first reconcile: ignored (the next push to it previews it)");
      return;
    }
    const { ctx, commit } = last;
    const store = new StateStore(opts.stateDir, ctx.cluster.instance, "read-write");
    const before = readPreviewState(store);
    const baseFiles = await opts.source.manifestsAt(commit);
    const headFiles = event.state === "open" ? await opts.source.manifestsAt(event.headSha, pullRef(event)) : undefined;
    const deployed = ctx.load.sites.filter((s) => s.environment?.preview === undefined);
    const t = previewTransition(before, event, {
      config: ctx.cluster.previews,
      deployed,
      baseFiles,
      ...(headFiles ? { headFiles } : {}),
      now: now(),
    });
    writePreviewState(store, t.state);
    opts.log.info(
      {
        number: event.number,
        action: t.outcome.action,
        sites: t.outcome.sites.map((s) => s.name),
        problems: t.outcome.problems,
      },
      "pull request preview",
    );
    for (const site of t.outcome.sites) {
      if (t.outcome.action === "waiting") await status(event.headSha, previewStatus(site, "waiting", t.outcome.problems.join("; ")));
      else
        await opts
          .setStatus?.(event.headSha, "pending", `deploying the preview of ${site.environment?.of ?? site.name}`, {
            contextSuffix: `preview/${site.environment?.of ?? site.name}`,
          })
          .catch(() => undefined);
    }
    const { previews, notes } = commentPreviews(t.outcome, before, event);
    // Without spec.previews the comment is the plan alone: "previews are not configured" is no news there.
    if (headFiles) await postPlan(event, headFiles, previews, ctx.cluster.previews ? notes : []);
    else {
      const shown = commented.get(event.number);
      commented.delete(event.number);
      if (shown && previews.length > 0) await comment({ ...shown.pr, state: "closed" }, { ...shown.input, previews, notes: [], at: now().toISOString() });
    }
    if (t.outcome.action !== "none") opts.trigger(`preview:${event.number}`);
  };

  const comment = async (pr: PreviewEvent, input: PlanCommentInput): Promise<void> => {
    // A polled branch has no pull request to comment on: its commit statuses say it all.
    if (!opts.comments || pr.provider === BRANCH_PROVIDER) return;
    if (pr.state === "open") commented.set(pr.number, { pr, input });
    const r = await opts.comments.upsert({ provider: pr.provider, number: pr.number }, planCommentMarker(input.instance), renderPlanComment(input));
    if (r.ok) opts.log.info({ number: pr.number, comment: r.id, action: r.action }, "pull request plan comment");
    else opts.log.warn({ number: pr.number, err: r.error }, "pull request plan comment not posted");
  };

  /**
   * The head's plan against the live swarm, as Atlantis shows Terraform's: a summary in a
   * commit status, and all of it in the pull request's comment.
   */
  const postPlan = async (pr: PreviewEvent, files: ReadonlyMap<string, string>, previews: readonly CommentPreview[], notes: readonly string[]): Promise<void> => {
    if (!opts.setStatus && !opts.comments) return;
    const sha = pr.headSha;
    const dir = await mkdtemp(path.join(os.tmpdir(), "simulium-pr-"));
    try {
      for (const [file, text] of files) {
        await mkdir(path.dirname(path.join(dir, file)), { recursive: true });
        await writeFile(path.join(dir, file), text);
      }
      const ctx = await planRepo(opts.docker, dir, {
        stateDir: opts.stateDir,
        ...(opts.sealingKeyFile ? { sealingKeyFile: opts.sealingKeyFile } : {}),
        mode: "read-only",
      });
      const errors = ctx.load.errors.length;
      const description =
        errors > 0
          ? `${errors} manifest error(s): ${ctx.load.errors[0]?.file}:${ctx.load.errors[0]?.line}: ${ctx.load.errors[0]?.message}`
          : summaryLine(ctx.plan);
      const secrets = secretValues(ctx);
      // Kept before the status is posted: a reviewer following its link finds the page.
      keepPlan(pr, renderStoredPlanText({ plan: ctx.plan, errors: ctx.load.errors, secrets }));
      await opts.setStatus?.(sha, errors > 0 ? "failure" : "success", description, planLink(sha)).catch(() => undefined);
      await comment(pr, { instance: ctx.cluster.instance, headSha: sha, plan: ctx.plan, errors: ctx.load.errors, previews, notes, secrets, at: now().toISOString(), ...commentPlanUrl(sha) });
    } catch (err) {
      const failure = `no plan: ${err instanceof Error ? err.message : String(err)}`;
      keepPlan(pr, renderStoredPlanText({ errors: [], failure }));
      await opts.setStatus?.(sha, "error", failure, planLink(sha)).catch(() => undefined);
      const instance = last?.ctx.cluster.instance;
      if (instance !== undefined) await comment(pr, { instance, headSha: sha, errors: [], failure, previews, notes, at: now().toISOString(), ...commentPlanUrl(sha) });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  };

  return {
    onWebhook(provider, event, body) {
      const parsed = parsePullRequestEvent(provider, event, body);
      if (!parsed.ok) {
        if (event === "pull_request" || event === "Merge Request Hook") opts.log.info({ reason: parsed.ignored }, "pull request event ignored");
        return event === "pull_request" || event === "Merge Request Hook";
      }
      void serial(() => handle(parsed.event));
      return true;
    },
    pollBranches() {
      return serial(pollBranches);
    },
    afterReconcile(ctx, commit) {
      last = { ctx, commit };
      return serial(() => seedAndPost(ctx));
    },
    planFor: (sha) => plans.get(sha),
    idle: () => chain.then(() => undefined),
  };

  async function pollBranches(): Promise<void> {
    if (!last) return;
    const patterns = last.ctx.cluster.previews?.branches ?? [];
    const store = new StateStore(opts.stateDir, last.ctx.cluster.instance, "read-write");
    const state = readPreviewState(store);
    const polled = state.records.some((r) => r.provider === BRANCH_PROVIDER);
    if (patterns.length === 0 && !polled) return;
    // No patterns (any more): every branch preview is closed, without asking the remote.
    const remote = patterns.length > 0 ? await opts.source.remoteBranches() : new Map([[opts.source.branch, ""]]);
    const r = branchActions({ patterns, followed: opts.source.branch, remote, seen: seenBranches, records: state.records });
    const seen = new Map(r.seen);
    for (const a of r.actions) {
      const event: PreviewEvent = { provider: BRANCH_PROVIDER, number: a.number, state: a.kind, merged: false, headSha: a.sha, headRef: a.branch, baseRef: opts.source.branch };
      try {
        await handle(event);
      } catch (err) {
        // Looked at again on the next poll.
        seen.delete(a.branch);
        opts.log.warn({ branch: a.branch, err: err instanceof Error ? err.message : String(err) }, "branch preview failed");
      }
    }
    seenBranches = seen;
  }

  async function seedAndPost(ctx: PlanContext): Promise<void> {
    const store = new StateStore(opts.stateDir, ctx.cluster.instance, "read-write");
    let state: PreviewState;
    try {
      state = readPreviewState(store);
    } catch {
      return;
    }
    const deployed = ctx.load.sites.filter((s) => s.environment?.preview !== undefined);
    let changed = false;
    const records = [];
    for (const record of state.records) {
      const seeded = new Set(record.seeded ?? []);
      for (const site of deployed.filter((s) => s.environment?.preview?.number === record.number)) {
        if (!seeded.has(site.name)) {
          const auth = await loadRegistryAuth(ctx.cluster.registryAuth?.configFile);
          const r = await seedPreview(opts.docker, site, ctx.cluster, {
            stateDir: opts.stateDir,
            auth,
            log: opts.log,
          });
          opts.log.info({ site: site.name, seeded: r.seeded }, r.message);
          seeded.add(site.name);
          changed = true;
        }
        const key = `${site.name}@${record.headSha}`;
        if (!posted.has(key)) {
          posted.add(key);
          const ready = previewStatus(site, "ready");
          await status(record.headSha, ready);
          await markReady(record.number, record.headSha, site.environment?.of ?? site.name, ready.targetUrl);
        }
      }
      records.push({ ...record, seeded: [...seeded].sort() });
    }
    if (changed) writePreviewState(store, { ...state, records });
  }

  /** A preview runs: its line in the pull request's comment says so (the comment of that head only). */
  async function markReady(number: number, headSha: string, site: string, url: string | undefined): Promise<void> {
    const c = commented.get(number);
    if (!c || c.input.headSha !== headSha) return;
    const previews = c.input.previews.map((p) => (p.site === site ? { ...p, state: "ready" as const, ...(url ? { url } : {}) } : p));
    await comment(c.pr, { ...c.input, previews, at: now().toISOString() });
  }
}

/** The values of every secret the plan's context holds: cut out of a comment if they ever reach it. */
function secretValues(ctx: PlanContext): string[] {
  const out: string[] = [];
  for (const r of ctx.desired.resources) {
    if (r.kind !== "secret") continue;
    const v = ctx.secretValue(r.name);
    if (v) out.push(v.toString("utf8"));
  }
  if (ctx.varnishSecret) out.push(ctx.varnishSecret.toString("utf8"));
  return out;
}
