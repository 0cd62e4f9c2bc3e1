import type Docker from "dockerode";
import { backupTarget } from "../backup/target";
import { restoreSite } from "../backup/restore";
import { loadAndSwapScript } from "../database/load-swap";
import { renderSite } from "../desired/render";
import type { AuthLookup } from "../engine/registry-auth";
import { readSitePin } from "../live/read";
import { loadFiles } from "../manifests/load";
import { admitted, changedSites, PreviewConfig, PreviewRecord, previewSites } from "../manifests/previews";
import { splitEnvironmentName } from "../manifests/environments";
import type { ResolvedCluster, ResolvedSite } from "../manifests/types";
import type { Logger } from "../log";
import { PreviewState } from "../reconcile/previews-state";
import type { PullRequestEvent, PullRequestProvider } from "../source/pull-request";
import { BRANCH_PROVIDER } from "./branch-previews";
import type { CommentPreview } from "./pr-comment";

/**
 * The daemon's side of pull-request previews: an event changes the preview state (pure
 * transition below); the reconcile that follows deploys or removes the preview sites
 * (reconcile/previews-state.ts adds them to every plan); then each new preview is seeded from
 * its site's latest backup and its commit status says where it answers.
 */

/** A pull request's event, or a polled branch's (branch-previews.ts: its number is the daemon's). */
export type PreviewEvent = Omit<PullRequestEvent, "provider"> & { readonly provider: PullRequestProvider | typeof BRANCH_PROVIDER };

export interface TransitionInput {
  readonly config: PreviewConfig | undefined;
  /** The sites the main branch deploys (and other pull requests' previews): a preview takes none of their domains. */
  readonly deployed: readonly ResolvedSite[];
  readonly baseFiles: ReadonlyMap<string, string>;
  /** The manifests at the pull request's head; absent for a closed one. */
  readonly headFiles?: ReadonlyMap<string, string>;
  readonly now: Date;
}

export interface PreviewOutcome {
  readonly number: number;
  readonly action: "deployed" | "updated" | "removed" | "waiting" | "none";
  /** Preview sites of the pull request after the event. */
  readonly sites: readonly ResolvedSite[];
  /** Why a changed site has no preview (a domain taken, an invalid manifest at the head), or why nothing happened. */
  readonly problems: readonly string[];
}

/** What a pull-request event does to the preview state. Pure. */
export function previewTransition(state: PreviewState, event: PreviewEvent, input: TransitionInput): { readonly state: PreviewState; readonly outcome: PreviewOutcome } {
  const number = event.number;
  const owner = state.records.find((r) => r.number === number && (r.provider !== event.provider || (r.provider === BRANCH_PROVIDER && r.headRef !== event.headRef)));
  // Polled branches and a forge's pull requests share the numbers: one never takes the other's preview.
  if (owner) {
    const what = owner.provider === BRANCH_PROVIDER ? `the branch ${owner.headRef}` : `${owner.provider} pull request ${owner.number}`;
    return { state, outcome: { number, action: "none", sites: [], problems: [`preview number ${number} is ${what}'s: not changed`] } };
  }
  const others: PreviewState = {
    records: state.records.filter((r) => r.number !== number),
    sites: state.sites.filter((s) => s.environment?.preview?.number !== number),
  };
  const had = state.records.find((r) => r.number === number);
  if (event.state === "closed") {
    return { state: others, outcome: { number, action: had ? "removed" : "none", sites: [], problems: [] } };
  }
  if (!input.config) return { state, outcome: { number, action: "none", sites: [], problems: ["previews are not configured (simulium.yaml spec.previews)"] } };
  if (!input.headFiles) throw new Error("internal: an open pull request without its head's manifests");
  const head = loadFiles([...input.headFiles].map(([path, text]) => ({ path, text })));
  const changed = changedSites(input.baseFiles, input.headFiles, head.sites);
  const invalid = head.invalidSites.filter((n) => input.headFiles?.get(`sites/${n}.yaml`) !== input.baseFiles.get(`sites/${n}.yaml`));
  const problems = [...invalid.map((n) => `${n}: invalid at the pull request's head (simulium validate shows why)`)];
  const planned = previewSites(changed, { number, headSha: event.headSha }, input.config, [...input.deployed, ...others.sites]);
  problems.push(...planned.problems);
  if (planned.sites.length === 0) return { state: others, outcome: { number, action: had ? "removed" : "none", sites: [], problems } };
  const at = input.now.toISOString();
  const record: PreviewRecord = {
    provider: event.provider,
    number,
    headSha: event.headSha,
    headRef: event.headRef,
    sites: planned.sites.map((s) => s.name),
    openedAt: had?.openedAt ?? at,
    updatedAt: at,
    ...(had?.seeded ? { seeded: had.seeded.filter((n) => planned.sites.some((s) => s.name === n)) } : {}),
  };
  const next: PreviewState = { records: [...others.records, record], sites: [...others.sites, ...planned.sites] };
  const waiting = !admitted(next.records, input.config.max).admitted.some((r) => r.number === number);
  const action = waiting ? "waiting" : had ? "updated" : "deployed";
  return { state: next, outcome: { number, action, sites: planned.sites, problems: waiting ? [...problems, `waiting: ${input.config.max} previews at most (simulium.yaml spec.previews.max)`] : problems } };
}

/**
 * The previews' lines of the pull request's comment after an event, and the problems that
 * are no one site's. Pure.
 */
export function commentPreviews(outcome: PreviewOutcome, before: PreviewState, event: Pick<PreviewEvent, "number" | "state" | "provider">): { readonly previews: CommentPreview[]; readonly notes: string[] } {
  if (event.state === "closed") {
    // Only what this event removed: a number another preview holds was refused (previewTransition).
    const had = outcome.action === "removed" ? before.records.find((r) => r.number === event.number && r.provider === event.provider) : undefined;
    const sites = (had?.sites ?? []).map((name) => splitEnvironmentName(name)?.site ?? name);
    return { previews: sites.map((site) => ({ site, state: "removed" })), notes: [] };
  }
  const waiting = outcome.action === "waiting" ? outcome.problems.find((p) => p.startsWith("waiting: ")) : undefined;
  const previews: CommentPreview[] = outcome.sites.map((s) => {
    const url = previewStatus(s, "ready").targetUrl;
    const site = s.environment?.of ?? s.name;
    return waiting !== undefined ? { site, state: "waiting", detail: waiting.slice("waiting: ".length) } : { site, state: "deploying", ...(url ? { url } : {}) };
  });
  const notes: string[] = [];
  for (const p of outcome.problems) {
    if (p === waiting) continue;
    const m = /^([a-z0-9][a-z0-9-]*): (.+)$/s.exec(p);
    if (m?.[1] !== undefined && m[2] !== undefined) previews.push({ site: m[1], state: "refused", detail: m[2] });
    else notes.push(p);
  }
  return { previews, notes };
}

/** The forge's ref of a pull request's head, fetched to read its manifests. */
export function pullRef(event: Pick<PreviewEvent, "provider" | "number"> & { readonly headRef?: string }): string {
  if (event.provider === BRANCH_PROVIDER) return `refs/heads/${event.headRef ?? ""}`;
  return event.provider === "github" ? `refs/pull/${event.number}/head` : `refs/merge-requests/${event.number}/head`;
}

/** The commit status of one preview: where it answers once it runs. Pure. */
export function previewStatus(site: ResolvedSite, outcome: "ready" | "waiting" | "failed", detail = ""): { state: "success" | "pending" | "failure"; description: string; contextSuffix: string; targetUrl?: string } {
  const url = `http://${site.domains[0] ?? ""}/`;
  const of = site.environment?.of ?? site.name;
  const contextSuffix = `preview/${of}`;
  if (outcome === "ready") return { state: "success", description: `preview of ${of} at ${url}`, contextSuffix, targetUrl: url };
  if (outcome === "waiting") return { state: "pending", description: `preview of ${of} waits: ${detail}`, contextSuffix };
  return { state: "failure", description: `preview of ${of} failed: ${detail}`, contextSuffix };
}

export interface SeedOptions {
  readonly stateDir: string;
  readonly auth: AuthLookup;
  readonly log?: Logger;
  readonly timeoutSeconds?: number;
}

/**
 * Loads the production site's latest backup into a new preview (its own database and volumes),
 * as `simulium sync` does, but from the latest run: a preview never makes production back up.
 * A site without backups (or none yet) keeps its preview empty, which the result says.
 */
export async function seedPreview(docker: Docker, preview: ResolvedSite, cluster: ResolvedCluster, opts: SeedOptions): Promise<{ readonly seeded: boolean; readonly message: string }> {
  const of = preview.environment?.of;
  if (of === undefined || !cluster.backup) return { seeded: false, message: "no backups configured: the preview starts empty" };
  // The restore job mounts the preview's volumes: it runs where they are.
  const rendered = renderSite(preview, cluster, await readSitePin(docker, cluster.instance, preview.name));
  const target = { ...backupTarget(preview, cluster, rendered, opts.stateDir, opts.auth), repositoryOf: of };
  try {
    const r = await restoreSite(docker, target, { from: "latest", loadSwapScript: loadAndSwapScript(), timeoutSeconds: opts.timeoutSeconds ?? 3600, ...(opts.log ? { log: opts.log } : {}) });
    return { seeded: true, message: `seeded from ${of}'s backup run ${r.run.run}` };
  } catch (err) {
    return { seeded: false, message: `not seeded from ${of}'s backups: ${err instanceof Error ? err.message : String(err)}` };
  }
}
