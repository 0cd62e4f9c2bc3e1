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
import { parsePullRequestEvent, PullRequestEvent } from "../source/pull-request";
import type { CommitStatusExtra } from "./notify";
import { previewStatus, previewTransition, pullRef, seedPreview } from "./previews";

/**
 * The daemon's loop for pull requests: a verified `pull_request` / `merge_request` webhook
 * changes the preview state and asks for a reconcile (which deploys or removes the previews);
 * after each reconcile, new previews are seeded from their site's latest backup and their
 * commit status names their URL. The plan of the head against the live swarm is posted as a
 * commit status of its own (`<context>/plan`).
 */
export interface PreviewLoopOptions {
  readonly docker: Docker;
  readonly source: GitSource;
  readonly stateDir: string;
  readonly sealingKeyFile?: string;
  readonly log: Logger;
  /** Posts a commit status on the forge (notify.ts); undefined when none is configured. */
  readonly setStatus?: (sha: string, state: "pending" | "success" | "failure" | "error", description: string, extra?: CommitStatusExtra) => Promise<unknown>;
  /** Asks the daemon for a reconcile. */
  readonly trigger: (reason: string) => void;
  readonly now?: () => Date;
}

export interface PreviewLoop {
  /** A verified webhook: true when it was a pull-request event (handled here), false otherwise. */
  onWebhook(provider: string, event: string | undefined, body: Buffer): boolean;
  /** After every successful reconcile: seeds new previews and posts their statuses. */
  afterReconcile(ctx: PlanContext, deployedCommit: string): Promise<void>;
  /** Resolves when the events received so far are handled (tests). */
  idle(): Promise<void>;
}

export function createPreviewLoop(opts: PreviewLoopOptions): PreviewLoop {
  const now = opts.now ?? (() => new Date());
  let chain: Promise<unknown> = Promise.resolve();
  let last: { ctx: PlanContext; commit: string } | undefined;
  const posted = new Set<string>();
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

  const handle = async (event: PullRequestEvent): Promise<void> => {
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
    if (headFiles) await postPlan(event.headSha, headFiles);
    if (t.outcome.action !== "none") opts.trigger(`preview:${event.number}`);
  };

  /** The head's plan against the live swarm, as Atlantis shows Terraform's: a summary in a commit status. */
  const postPlan = async (sha: string, files: ReadonlyMap<string, string>): Promise<void> => {
    if (!opts.setStatus) return;
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
      await opts
        .setStatus(sha, errors > 0 ? "failure" : "success", description, {
          contextSuffix: "plan",
        })
        .catch(() => undefined);
    } catch (err) {
      await opts.setStatus(sha, "error", `no plan: ${err instanceof Error ? err.message : String(err)}`, { contextSuffix: "plan" }).catch(() => undefined);
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
    afterReconcile(ctx, commit) {
      last = { ctx, commit };
      return serial(() => seedAndPost(ctx));
    },
    idle: () => chain.then(() => undefined),
  };

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
          await status(record.headSha, previewStatus(site, "ready"));
        }
      }
      records.push({ ...record, seeded: [...seeded].sort() });
    }
    if (changed) writePreviewState(store, { ...state, records });
  }
}
