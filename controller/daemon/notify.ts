import { signatureHeader } from "../source/webhook";
import { retry } from "./backoff";
import { CommitState, commitStateFor, commitStatusRequest, decide, DedupeState, EMPTY_DEDUPE, isGitLabApi, NotificationEvent, ownerRepoFromUrl } from "./notify-events";
import { readSecretFile } from "./secret-file";

export type { NotificationEvent, CommitState };

/**
 * Where the daemon sends notifications. File paths (and the API the token goes to) come only
 * from `simulium run` flags; simulium.yaml adds webhook URLs, never a file to read.
 */
export interface NotificationsConfig {
  readonly webhooks: readonly { readonly url: string; readonly secretFile: string }[];
  readonly commitStatus?: {
    /** API root, e.g. https://gitea.example.org/api/v1 or https://api.github.com; https unless loopback. */
    readonly api: string;
    /** owner/name; derived from the source URL when left out. */
    readonly repository?: string;
    readonly tokenFile: string;
    /** Name the forge shows next to the status. */
    readonly context?: string;
  };
  readonly suppressSeconds: number;
}

/** One attempt to reach one endpoint. `target` is the origin only: webhook paths often hold tokens. */
export interface Delivery {
  readonly target: string;
  readonly ok: boolean;
  readonly status?: number;
  readonly error?: string;
}

export interface Notifier {
  /** Sends unless suppressed (see notify-events.ts); an empty list means suppressed or nothing configured. */
  notify(event: NotificationEvent): Promise<Delivery[]>;
  /** Sets the commit status on the forge, if configured (e.g. "pending" when a reconcile starts). */
  setCommitStatus(sha: string, state: CommitState, description: string, extra?: CommitStatusExtra): Promise<Delivery | undefined>;
}

/** A status of its own beside the reconcile's (a preview's: `simulium/<instance>/preview/<site>`), with a link. */
export interface CommitStatusExtra {
  /** Appended to the configured context: `<context>/<suffix>`. */
  readonly contextSuffix?: string;
  readonly targetUrl?: string;
}

export interface NotifierOptions {
  readonly instance: string;
  /** The git source URL, to derive owner/name when `commitStatus.repository` is not set. */
  readonly sourceUrl?: string;
  readonly now?: () => number;
  readonly timeoutMs?: number;
  readonly attempts?: number;
}

/** The notification configuration cannot be used (a bad flag value): nothing is sent. */
export class NotifyConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "NotifyConfigError";
  }
}

/**
 * Why a token must not be sent to `url`, or undefined. Plain http would hand it to anyone on
 * the path; loopback http is allowed so tests (and a local forge proxy) can use it. Pure.
 */
export function tokenTransportProblem(url: string): string | undefined {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return `${JSON.stringify(url)} is not a URL`;
  }
  if (parsed.protocol === "https:") return undefined;
  if (parsed.protocol === "http:" && isLoopback(parsed.hostname)) return undefined;
  return `${parsed.origin} is not https: a token is sent only over https (plain http only to a loopback address)`;
}

function isLoopback(hostname: string): boolean {
  // URL keeps IPv6 literals in brackets and normalises IPv4 to dotted decimal.
  return hostname === "localhost" || hostname === "[::1]" || /^127(\.\d{1,3}){3}$/.test(hostname);
}

/** Reads every secret file now, so a broken notification config fails at start-up. */
export async function loadNotifier(config: NotificationsConfig, options: NotifierOptions): Promise<Notifier> {
  const transport = config.commitStatus ? tokenTransportProblem(config.commitStatus.api) : undefined;
  if (transport) throw new NotifyConfigError(`--commit-status-api ${transport}; no commit status is posted`);
  const webhooks = await Promise.all(config.webhooks.map(async (w) => ({ url: w.url, secret: await readSecretFile(w.secretFile) })));
  let commitStatus: CommitStatusTarget | undefined;
  if (config.commitStatus) {
    const repository = config.commitStatus.repository ?? (options.sourceUrl ? ownerRepoFromUrl(options.sourceUrl, isGitLabApi(config.commitStatus.api)) : undefined);
    if (!repository) throw new Error("notifications.commitStatus.repository is required when it cannot be derived from the git URL");
    commitStatus = {
      api: config.commitStatus.api.replace(/\/+$/, ""),
      repository,
      token: await readSecretFile(config.commitStatus.tokenFile),
      context: config.commitStatus.context ?? `simulium/${options.instance}`,
    };
  }
  return createNotifier({ webhooks, commitStatus, suppressMs: config.suppressSeconds * 1000 }, options);
}

interface CommitStatusTarget {
  readonly api: string;
  readonly repository: string;
  readonly token: string;
  readonly context: string;
}

export function createNotifier(
  targets: { readonly webhooks: readonly { url: string; secret: string }[]; readonly commitStatus?: CommitStatusTarget; readonly suppressMs: number },
  options: NotifierOptions,
): Notifier {
  const now = options.now ?? Date.now;
  let dedupe: DedupeState = EMPTY_DEDUPE;

  const post = (url: string, body: string, headers: Record<string, string>): Promise<Delivery> =>
    deliver(url, body, headers, options.timeoutMs ?? 10_000, options.attempts ?? 3);

  const setCommitStatus = async (sha: string, state: CommitState, description: string, extra: CommitStatusExtra = {}): Promise<Delivery | undefined> => {
    const cs = targets.commitStatus;
    // A directory source has no commit a forge knows about.
    if (!cs || !/^[0-9a-f]{40,64}$/.test(sha)) return undefined;
    const context = extra.contextSuffix !== undefined ? `${cs.context}/${extra.contextSuffix}` : cs.context;
    const req = commitStatusRequest(cs.api, cs.repository, cs.token, sha, { state, context, description, ...(extra.targetUrl !== undefined ? { targetUrl: extra.targetUrl } : {}) });
    return post(req.url, req.body, req.headers);
  };

  return {
    async notify(event) {
      const decision = decide(dedupe, event, now(), targets.suppressMs);
      dedupe = decision.state;
      if (!decision.send) return [];
      const body = JSON.stringify({ ...event, event: event.type, instance: options.instance, time: new Date(now()).toISOString() });
      const sends = targets.webhooks.map((w) =>
        post(w.url, body, { "X-Hub-Signature-256": signatureHeader(body, w.secret), "X-Simulium-Event": event.type }),
      );
      if (event.type === "commit.applied") {
        const state = commitStateFor(event);
        const description = `${event.sites.ready} ready, ${event.sites.failed} failed, ${event.sites.invalid} invalid`;
        sends.push(setCommitStatus(event.commit, state, description).then((d) => d ?? { target: "", ok: true }));
      }
      return (await Promise.all(sends)).filter((d) => d.target !== "");
    },
    setCommitStatus,
  };
}

class RetryableStatus extends Error {
  constructor(readonly status: number) {
    super(`HTTP ${status}`);
  }
}

async function deliver(url: string, body: string, headers: Record<string, string>, timeoutMs: number, attempts: number): Promise<Delivery> {
  const target = originOf(url);
  try {
    const status = await retry(
      async () => {
        const res = await fetch(url, {
          method: "POST",
          headers: { "Content-Type": "application/json", "User-Agent": "simulium", ...headers },
          body,
          signal: AbortSignal.timeout(timeoutMs),
        });
        await res.arrayBuffer().catch(() => undefined);
        // A busy receiver may recover; a 4xx is our configuration and will not.
        if (res.status >= 500 || res.status === 429) throw new RetryableStatus(res.status);
        return res.status;
      },
      { attempts, policy: { initialMs: 500, maxMs: 5_000, factor: 2, jitter: 0.2 } },
    );
    return status < 300 ? { target, ok: true, status } : { target, ok: false, status, error: `HTTP ${status}` };
  } catch (err) {
    if (err instanceof RetryableStatus) return { target, ok: false, status: err.status, error: err.message };
    // fetch errors name the URL at most; keep only the cause's kind, never headers (tokens).
    const cause = err instanceof Error ? (err.cause instanceof Error ? err.cause.message : err.name) : "error";
    return { target, ok: false, error: cause.replace(/https?:\/\/\S+/g, target) };
  }
}

function originOf(url: string): string {
  try {
    return new URL(url).origin;
  } catch {
    return "invalid-url";
  }
}
