import type { PullRequestProvider } from "../source/pull-request";
import { NotifyConfigError, tokenTransportProblem } from "./notify";
import { readSecretFile } from "./secret-file";

/**
 * The plan comment on a pull request (pr-comment.ts renders it): found by its marker among the
 * comments the token's own user wrote, edited in place, created only when there is none.
 * GitHub (and Gitea/Forgejo, same paths): issue comments; GitLab: merge request notes. The API
 * root, the token file and the repository come from `simulium run` flags only (never from the
 * manifests repository); the token goes only over https (loopback http for tests), and never
 * follows a redirect.
 */
export interface PullRequestCommentsConfig {
  /** API root: https://api.github.com, https://gitea.example.org/api/v1, https://gitlab.example.org/api/v4. */
  readonly api: string;
  readonly tokenFile: string;
  /** owner/name (GitLab: the project's full path, subgroups included); derived from the git URL when left out. */
  readonly repository?: string;
}

export interface PullRequestRef {
  readonly provider: PullRequestProvider;
  readonly number: number;
}

export type CommentResult =
  | { readonly ok: true; readonly action: "created" | "updated" | "unchanged"; readonly id: number }
  | { readonly ok: false; readonly error: string };

export interface PullRequestComments {
  /** Puts `body` (which starts with `marker`) on the pull request: edits our comment, or creates it once. */
  upsert(pr: PullRequestRef, marker: string, body: string): Promise<CommentResult>;
}

export async function loadPullRequestComments(config: PullRequestCommentsConfig, options: { readonly sourceUrl?: string; readonly timeoutMs?: number } = {}): Promise<PullRequestComments> {
  const transport = tokenTransportProblem(config.api);
  if (transport) throw new NotifyConfigError(`--pr-comment-api ${transport}; no comment is posted`);
  const repository = config.repository ?? (options.sourceUrl ? repositoryPathFromUrl(options.sourceUrl) : undefined);
  if (!repository) throw new NotifyConfigError("--pr-comment-repository is required when it cannot be derived from the git URL");
  return createPullRequestComments({ api: config.api, token: await readSecretFile(config.tokenFile), repository, ...(options.timeoutMs ? { timeoutMs: options.timeoutMs } : {}) });
}

/** `https://host/group/sub/project.git`, `git@host:group/project.git` → `group/sub/project`. */
export function repositoryPathFromUrl(url: string): string | undefined {
  const m = /^[a-z][a-z0-9+.-]*:\/\/[^/]+\/(.+?)(?:\.git)?\/?$/i.exec(url) ?? /^[^/:@]+@[^:]+:\/?(.+?)(?:\.git)?\/?$/.exec(url);
  const parts = (m?.[1] ?? "").split("/").filter((s) => s !== "");
  return parts.length >= 2 && parts.every((p) => /^[A-Za-z0-9_.-]+$/.test(p) && p !== "." && p !== "..") ? parts.join("/") : undefined;
}

/** A comment as the forges list it, reduced to what finding ours needs. */
export interface ListedComment {
  readonly id: number;
  readonly body: string;
  readonly author?: string;
  /** GitLab's system notes ("added 1 commit"): never ours. */
  readonly system?: boolean;
}

/**
 * Our comments among the listed, oldest first: starting with the marker and, when we know who
 * the token is, written by it (anyone may paste the marker into a comment of their own). Pure.
 */
/**
 * Ours: the marker at the start and written by the token's user; with no user behind the token
 * (an app's installation token), by an app (`…[bot]`): a marker a person pasted is never ours,
 * since a writer's token may edit anyone's comment.
 */
export function ownComments(comments: readonly ListedComment[], marker: string, self: string | undefined): ListedComment[] {
  const byUs = (author: string | undefined): boolean => (self !== undefined ? author === self : author?.endsWith("[bot]") === true);
  return comments.filter((c) => !c.system && c.body.startsWith(marker) && byUs(c.author)).sort((a, b) => a.id - b.id);
}

interface Api {
  readonly list: (pr: PullRequestRef, page: number) => string;
  readonly create: (pr: PullRequestRef) => string;
  readonly edit: (pr: PullRequestRef, id: number) => { readonly url: string; readonly method: "PATCH" | "PUT" };
  readonly auth: Record<string, string>;
  readonly parse: (item: unknown) => ListedComment | undefined;
  readonly selfName: (user: unknown) => string | undefined;
}

const PER_PAGE = 100;
/** 2000 comments: a pull request with more is a conversation we will not page through on every push. */
const MAX_PAGES = 20;

function apiFor(provider: PullRequestProvider, root: string, repository: string, token: string): Api {
  if (provider === "gitlab") {
    const project = `${root}/projects/${encodeURIComponent(repository)}/merge_requests`;
    return {
      list: (pr, page) => `${project}/${pr.number}/notes?sort=asc&order_by=created_at&per_page=${PER_PAGE}&page=${page}`,
      create: (pr) => `${project}/${pr.number}/notes`,
      edit: (pr, id) => ({ url: `${project}/${pr.number}/notes/${id}`, method: "PUT" }),
      auth: { "PRIVATE-TOKEN": token },
      parse: (o) => listed(o, get(get(o, "author"), "username"), get(o, "system") === true),
      selfName: (u) => str(get(u, "username")),
    };
  }
  const repo = `${root}/repos/${repository}`;
  return {
    list: (pr, page) => `${repo}/issues/${pr.number}/comments?per_page=${PER_PAGE}&page=${page}`,
    create: (pr) => `${repo}/issues/${pr.number}/comments`,
    edit: (_pr, id) => ({ url: `${repo}/issues/comments/${id}`, method: "PATCH" }),
    auth: { Authorization: `token ${token}` },
    parse: (o) => listed(o, get(get(o, "user"), "login"), false),
    selfName: (u) => str(get(u, "login")),
  };
}

export function createPullRequestComments(target: { readonly api: string; readonly token: string; readonly repository: string; readonly timeoutMs?: number }): PullRequestComments {
  const root = target.api.replace(/\/+$/, "");
  const timeoutMs = target.timeoutMs ?? 10_000;
  // Remembered ids: a forge's listing may lag a comment just made, and a push must not add a second.
  const known = new Map<string, number>();
  const selves = new Map<PullRequestProvider, string | undefined>();

  const call = async (url: string, method: string, api: Api, body?: string): Promise<{ status: number; json: unknown }> => {
    const res = await fetch(url, {
      method,
      headers: { Accept: "application/json", "User-Agent": "simulium", ...api.auth, ...(body !== undefined ? { "Content-Type": "application/json" } : {}) },
      ...(body !== undefined ? { body } : {}),
      // A redirect could carry the token to another origin or to plain http.
      redirect: "error",
      signal: AbortSignal.timeout(timeoutMs),
    });
    const text = await res.text().catch(() => "");
    let json: unknown;
    try {
      json = text === "" ? undefined : JSON.parse(text);
    } catch {
      json = undefined;
    }
    return { status: res.status, json };
  };

  const whoAmI = async (provider: PullRequestProvider, api: Api): Promise<string | undefined> => {
    if (selves.has(provider)) return selves.get(provider);
    // An app's installation token has no user (403): the marker alone then finds ours.
    const r = await call(`${root}/user`, "GET", api);
    // Kept only once the forge has said who we are, or that no user is behind the token: a
    // failing forge (5xx, a rate limit) is asked again next time, and this comment waits.
    if (r.status === 200) {
      const self = api.selfName(r.json);
      selves.set(provider, self);
      return self;
    }
    if (r.status === 401 || r.status === 403 || r.status === 404) {
      selves.set(provider, undefined);
      return undefined;
    }
    throw new ForgeHttpError("asking the forge who the token's user is", r.status);
  };

  const list = async (pr: PullRequestRef, api: Api): Promise<ListedComment[]> => {
    const out: ListedComment[] = [];
    for (let page = 1; page <= MAX_PAGES; page++) {
      const r = await call(api.list(pr, page), "GET", api);
      if (r.status !== 200 || !Array.isArray(r.json)) throw new ForgeHttpError("listing the comments", r.status);
      for (const item of r.json) {
        const c = api.parse(item);
        if (c) out.push(c);
      }
      if (r.json.length < PER_PAGE) break;
    }
    return out;
  };

  return {
    async upsert(pr, marker, body) {
      if (!body.startsWith(marker)) return { ok: false, error: "internal: the comment does not start with its marker" };
      const api = apiFor(pr.provider, root, target.repository, target.token);
      const key = `${pr.provider}#${pr.number}`;
      try {
        const edit = async (id: number): Promise<boolean> => {
          const e = api.edit(pr, id);
          const r = await call(e.url, e.method, api, JSON.stringify({ body }));
          if (r.status >= 200 && r.status < 300) return true;
          // Deleted by someone, or not ours to edit: look for another, or make one.
          if (r.status === 404 || r.status === 403) return false;
          throw new ForgeHttpError("editing the comment", r.status);
        };
        const remembered = known.get(key);
        if (remembered !== undefined) {
          if (await edit(remembered)) return { ok: true, action: "updated", id: remembered };
          known.delete(key);
        }
        const self = await whoAmI(pr.provider, api);
        for (const c of ownComments(await list(pr, api), marker, self)) {
          if (c.body === body) {
            known.set(key, c.id);
            return { ok: true, action: "unchanged", id: c.id };
          }
          if (await edit(c.id)) {
            known.set(key, c.id);
            return { ok: true, action: "updated", id: c.id };
          }
        }
        const r = await call(api.create(pr), "POST", api, JSON.stringify({ body }));
        const id = num(get(r.json, "id"));
        if (r.status < 200 || r.status >= 300 || id === undefined) throw new ForgeHttpError("creating the comment", r.status);
        known.set(key, id);
        return { ok: true, action: "created", id };
      } catch (err) {
        return { ok: false, error: errorText(err, root) };
      }
    },
  };
}

class ForgeHttpError extends Error {
  constructor(what: string, status: number) {
    super(`${what}: HTTP ${status}`);
    this.name = "ForgeHttpError";
  }
}

/** What went wrong, without the token (never in a URL here) or the path (it names the repository, harmless, but keep it short). */
function errorText(err: unknown, root: string): string {
  if (err instanceof ForgeHttpError) return `${new URL(root).origin}: ${err.message}`;
  const cause = err instanceof Error ? (err.cause instanceof Error ? err.cause.message : err.message) : "error";
  return `${new URL(root).origin}: ${cause.replace(/https?:\/\/\S+/g, "")}`;
}

function listed(o: unknown, author: unknown, system: boolean): ListedComment | undefined {
  const id = num(get(o, "id"));
  const body = str(get(o, "body"));
  if (id === undefined || body === undefined) return undefined;
  const a = str(author);
  return { id, body, ...(a !== undefined ? { author: a } : {}), ...(system ? { system } : {}) };
}

function get(o: unknown, key: string): unknown {
  return typeof o === "object" && o !== null && !Array.isArray(o) && Object.prototype.hasOwnProperty.call(o, key) ? (o as Record<string, unknown>)[key] : undefined;
}

function str(v: unknown): string | undefined {
  return typeof v === "string" ? v : undefined;
}

function num(v: unknown): number | undefined {
  return typeof v === "number" && Number.isSafeInteger(v) && v > 0 ? v : undefined;
}
