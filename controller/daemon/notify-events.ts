/**
 * Outgoing notification events and the pure rule that keeps them from flooding a chat
 * channel: an unchanged failure is repeated at most once per suppression period.
 */
export type NotificationEvent =
  | { readonly type: "site.failed"; readonly site: string; readonly commit: string; readonly message: string }
  | { readonly type: "site.invalid"; readonly site: string; readonly commit: string; readonly message: string }
  | { readonly type: "site.recovered"; readonly site: string; readonly commit: string }
  /**
   * The node the site's data is pinned to cannot run its tasks (`reason`: drained, down, ...):
   * its data services wait there, never started empty elsewhere. Once per transition.
   */
  | { readonly type: "site.degraded"; readonly site: string; readonly commit: string; readonly node: string; readonly nodeId: string; readonly reason: string; readonly message: string }
  /** That node runs the site's tasks again. */
  | { readonly type: "site.node-recovered"; readonly site: string; readonly commit: string; readonly node: string; readonly nodeId: string }
  /** The served certificate of a domain has fewer than `days` (14, then 7) days left. */
  | { readonly type: "tls.expiring"; readonly site: string; readonly domain: string; readonly days: number; readonly notAfter: string }
  /** An order for the site failed, or some of its names did not validate. */
  | { readonly type: "tls.renewal-failed"; readonly site: string; readonly message: string }
  /** The uptime probes through Varnish failed `failures` times in a row (daemon/uptime.ts). */
  | { readonly type: "uptime.down"; readonly site: string; readonly url: string; readonly message: string; readonly failures: number }
  | { readonly type: "uptime.recovered"; readonly site: string; readonly url: string; readonly downSince: string | null }
  /** A cron entry (`cron:<name>`) or the scheduled backup (`backup`) failed after succeeding, or recovered. */
  | { readonly type: "job.failed"; readonly site: string; readonly job: string; readonly message: string }
  | { readonly type: "job.recovered"; readonly site: string; readonly job: string }
  | {
      readonly type: "commit.applied";
      readonly commit: string;
      readonly subject?: string;
      readonly sites: { readonly ready: number; readonly failed: number; readonly invalid: number };
    };

export type NotificationType = NotificationEvent["type"];

interface Sent {
  readonly fingerprint: string;
  readonly at: number;
}

/** Last notification sent per subject (a site, or the commit in force). */
export type DedupeState = ReadonlyMap<string, Sent>;

export const EMPTY_DEDUPE: DedupeState = new Map();

export interface DedupeDecision {
  readonly send: boolean;
  readonly state: DedupeState;
}

/**
 * - a site failure (failed or invalid) with the same message as the last one sent for that
 *   site is suppressed until `suppressMs` has passed, then sent again as a reminder;
 *   a new commit with the same failure is still the same failure;
 * - a recovery is sent once: repeats without a failure in between are dropped;
 * - commit.applied is sent once per commit (periodic resyncs of the same commit are silent);
 * - uptime and job alerts come from transitions already (daemon/uptime.ts): each kind is sent
 *   once per change of its own subject (a site's availability, a job), apart from the site's state;
 * - site.degraded (a pinned node unavailable) and site.node-recovered come from transitions
 *   (run-status.ts), apart from the site's failures: each once per change, no reminder;
 * - tls.expiring is sent once per threshold (14, then 7 days) and certificate, per domain;
 *   tls.renewal-failed is repeated like a site failure.
 */
export function decide(state: DedupeState, event: NotificationEvent, now: number, suppressMs: number): DedupeDecision {
  const key = subjectOf(event);
  const fingerprint = fingerprintOf(event);
  const last = state.get(key);
  const repeat = last !== undefined && last.fingerprint === fingerprint;
  const timeBound = event.type === "site.failed" || event.type === "site.invalid" || event.type === "tls.renewal-failed";
  if (repeat && (!timeBound || now - last.at < suppressMs)) return { send: false, state };
  const next = new Map(state);
  next.set(key, { fingerprint, at: now });
  return { send: true, state: next };
}

function subjectOf(e: NotificationEvent): string {
  switch (e.type) {
    case "commit.applied":
      return "commit";
    case "uptime.down":
    case "uptime.recovered":
      return `uptime:${e.site}`;
    case "job.failed":
    case "job.recovered":
      return `job:${e.site}\n${e.job}`;
    case "tls.expiring":
      return `tls:${e.site}\n${e.domain}`;
    case "tls.renewal-failed":
      return `tls:${e.site}`;
    case "site.degraded":
    case "site.node-recovered":
      return `node:${e.site}`;
    default:
      return `site:${e.site}`;
  }
}

function fingerprintOf(e: NotificationEvent): string {
  switch (e.type) {
    case "uptime.down":
    case "uptime.recovered":
    case "job.failed":
    case "job.recovered":
      return e.type;
    case "site.failed":
    case "site.invalid":
      return `${e.type}\n${e.message}`;
    case "site.recovered":
    case "site.node-recovered":
      return e.type;
    case "site.degraded":
      return `${e.type}\n${e.nodeId}\n${e.reason}`;
    case "commit.applied":
      return e.commit;
    case "tls.expiring":
      // Once per threshold of each certificate: 14 days, then 7, then again for the next one.
      return `${e.type}\n${e.days}\n${e.notAfter}`;
    case "tls.renewal-failed":
      return `${e.type}\n${e.message}`;
  }
}

export type CommitState = "pending" | "success" | "failure" | "error";

/** The commit status a forge shows for an applied commit: red when any site did not converge. */
export function commitStateFor(event: Extract<NotificationEvent, { type: "commit.applied" }>): CommitState {
  return event.sites.failed > 0 || event.sites.invalid > 0 ? "failure" : "success";
}

/**
 * `owner/name` from a forge clone URL (https, ssh:// or scp-like), for the commit status API.
 * With `subgroups` (GitLab), the whole project path, `group/sub/project`.
 */
export function ownerRepoFromUrl(url: string, subgroups = false): string | undefined {
  const m =
    /^[a-z][a-z0-9+.-]*:\/\/[^/]+\/(.+?)(?:\.git)?\/?$/i.exec(url) ?? /^[^/:@]+@[^:]+:\/?(.+?)(?:\.git)?\/?$/.exec(url);
  const p = m?.[1];
  if (!p) return undefined;
  const parts = p.split("/").filter((s) => s !== "");
  // Gitea/GitHub are owner/name; GitLab projects may sit in subgroups.
  return parts.length === 2 || (subgroups && parts.length > 2) ? parts.join("/") : undefined;
}

/** GitLab's API root ends in /api/v4; GitHub's and Gitea/Forgejo's never do. Pure. */
export function isGitLabApi(api: string): boolean {
  return /\/api\/v4\/?$/.test(api);
}

/** A commit status as one forge's API takes it: path under the API root, headers and body. Pure. */
export function commitStatusRequest(
  api: string,
  repository: string,
  token: string,
  sha: string,
  status: { readonly state: CommitState; readonly context: string; readonly description: string; readonly targetUrl?: string },
): { readonly url: string; readonly headers: Record<string, string>; readonly body: string } {
  const description = status.description.slice(0, 140);
  if (isGitLabApi(api)) {
    // GitLab: POST /projects/:id/statuses/:sha, the project's full path URL-encoded as its id;
    // its states are pending/running/success/failed/canceled, its context is "name".
    const state = status.state === "failure" || status.state === "error" ? "failed" : status.state;
    return {
      url: `${api.replace(/\/+$/, "")}/projects/${encodeURIComponent(repository)}/statuses/${sha}`,
      headers: { "PRIVATE-TOKEN": token },
      body: JSON.stringify({ state, name: status.context, description, ...(status.targetUrl !== undefined ? { target_url: status.targetUrl } : {}) }),
    };
  }
  return {
    url: `${api.replace(/\/+$/, "")}/repos/${repository}/statuses/${sha}`,
    headers: { Authorization: `token ${token}` },
    body: JSON.stringify({ state: status.state, context: status.context, description, ...(status.targetUrl !== undefined ? { target_url: status.targetUrl } : {}) }),
  };
}
