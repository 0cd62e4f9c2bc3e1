import { spawn } from "node:child_process";
import { constants as fsConstants } from "node:fs";
import { access, mkdir, stat, writeFile } from "node:fs/promises";
import path from "node:path";
import { simpleGit, SimpleGit } from "simple-git";
import { classifyGitFailure, gitFailureDetail, SourceConfigError, SourceUnreachableError } from "./errors";
import { askpassScript, GIT_ENV_KEYS, GitCredentials, gitEnv } from "./git-env";
import { LOG_FORMAT, parseLog } from "./git-log";
import { ObjectAnswer, parseCatFile, parseLsTree, TreeEntry } from "./git-objects";
import { redactUrlUserinfo, urlHasPassword } from "./redact";
import type { Revision, Source, SyncResult } from "./types";

export type { GitCredentials };

export interface GitSourceOptions {
  /** Directory owned by simulium: holds the clone (`repo/`) and the askpass helper. */
  readonly stateDir: string;
  readonly url: string;
  readonly branch: string;
  readonly credentials?: GitCredentials;
  /** Kill a git command that prints nothing for this long (a hung network). */
  readonly timeoutMs?: number;
}

export interface GitSource extends Source {
  readonly url: string;
  readonly branch: string;
  /** Commits that touched one file (following renames), newest first. */
  history(file: string, limit?: number): Promise<Revision[]>;
  /**
   * The manifests (simulium.yaml, sites/*) at a commit, by path. `fetch` is the forge's ref
   * of a pull request (`refs/pull/42/head`, `refs/merge-requests/7/head`), fetched first when
   * the commit is not here yet; the commit must be what it points to or contains.
   */
  manifestsAt(sha: string, fetch?: string): Promise<Map<string, string>>;
  /** The remote's branches and their commits (`git ls-remote --heads`): what branch previews poll. */
  remoteBranches(): Promise<Map<string, string>>;
  /**
   * `git cat-file --batch-check --follow-symlinks` of each request (`<sha>:<path>`, or an
   * object id), or `--batch` with `contents` (the blobs' bytes): what a commit holds, never torn
   * by a checkout beside it (reconcile/commit-read.ts reads the manifests of a commit so).
   */
  objects(requests: readonly string[], contents: boolean): Promise<ObjectAnswer[]>;
  /** The entries of a tree object (`git ls-tree -z`). */
  listTree(oid: string): Promise<TreeEntry[]>;
}

/** A forge's ref of a pull request's head, or a branch (a polled branch preview): only these are ever fetched for a preview. */
const PULL_REF = /^refs\/(pull|merge-requests)\/[0-9]{1,9}\/head$/;
const BRANCH_REF = /^refs\/heads\/(?!-)(?!.*\.\.)(?!.*\/\/)(?!.*\.lock$)(?!.*\/$)[A-Za-z0-9._/-]{1,255}$/;

/**
 * Prepares (or reopens) simulium's own clone in `stateDir`. No network here: the first
 * `sync()` fetches, so an unreachable remote at start-up is reported like any other.
 */
export async function openGitSource(options: GitSourceOptions): Promise<GitSource> {
  validateOptions(options);
  const credentials = options.credentials ?? {};
  await checkReadable(credentials);
  await mkdir(options.stateDir, { recursive: true, mode: 0o700 });
  const dir = path.join(options.stateDir, "repo");
  let askpassPath: string | undefined;
  if (credentials.tokenFile) {
    askpassPath = path.join(options.stateDir, "askpass.sh");
    await writeFile(askpassPath, askpassScript(path.resolve(credentials.tokenFile), credentials.username), { mode: 0o700 });
  }
  const fresh = !(await isDirectory(path.join(dir, ".git")));
  if (fresh) await mkdir(dir, { recursive: true });
  const git = simpleGit({
    baseDir: dir,
    allowEnvironment: [...GIT_ENV_KEYS, ...KEPT_GIT_ENV],
    // The SSH command and askpass helper are built by simulium from configured file paths, and the
    // only credential.helper simulium writes is the empty one below.
    unsafe: { allowUnsafeSshCommand: true, allowUnsafeAskPass: true, allowUnsafeCredentialHelper: true },
    timeout: { block: options.timeoutMs ?? 120_000 },
  }).env({ ...inheritedEnv(), ...gitEnv(credentials, askpassPath) });

  if (fresh) {
    await git.raw(["init", "--quiet"]);
    await git.raw(["remote", "add", "origin", options.url]);
  } else {
    const current = (await git.raw(["remote", "get-url", "origin"]).catch(() => "")).trim();
    if (current === "") await git.raw(["remote", "add", "origin", options.url]);
    else if (current !== options.url) await git.raw(["remote", "set-url", "origin", options.url]);
  }
  // An empty helper list: an operator's global `credential.helper store` must not copy our token to disk.
  await git.raw(["config", "--local", "credential.helper", ""]);
  return new GitRepoSource(git, dir, options.url, options.branch);
}

class GitRepoSource implements GitSource {
  private queue: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly git: SimpleGit,
    readonly dir: string,
    private readonly rawUrl: string,
    readonly branch: string,
  ) {}

  get url(): string {
    return redactUrlUserinfo(this.rawUrl);
  }

  sync(): Promise<SyncResult> {
    return this.exclusive(async () => {
      const previous = await this.headSha();
      const remoteRef = `refs/remotes/origin/${this.branch}`;
      try {
        // `+` accepts a force-pushed branch; detecting it is our job, refusing it is not.
        await this.git.raw(["fetch", "--prune", "--no-tags", "origin", `+refs/heads/${this.branch}:${remoteRef}`]);
      } catch (err) {
        const text = errorText(err);
        throw new SourceUnreachableError(this.url, classifyGitFailure(text), gitFailureDetail(text));
      }
      const sha = (await this.git.raw(["rev-parse", "--verify", `${remoteRef}^{commit}`])).trim();
      const forced = previous !== undefined && previous !== sha && !(await this.isAncestor(previous, sha));
      // The clone is ours: whatever is in the working tree is discarded.
      await this.git.raw(["checkout", "--quiet", "--force", "-B", this.branch, remoteRef]);
      await this.git.raw(["clean", "-ffdxq"]);
      const revision = await this.revision(sha);
      return { ...revision, forced, changed: previous !== sha };
    });
  }

  headCommit(): Promise<Revision | undefined> {
    return this.exclusive(async () => {
      const sha = await this.headSha();
      return sha === undefined ? undefined : this.revision(sha);
    });
  }

  history(file: string, limit = 100): Promise<Revision[]> {
    if (path.isAbsolute(file) || file.split(/[\\/]/).includes("..")) {
      return Promise.reject(new SourceConfigError(`history: path must be inside the repository: ${file}`));
    }
    return this.exclusive(async () => {
      if ((await this.headSha()) === undefined) return [];
      const out = await this.git.raw(["log", "--follow", `--max-count=${limit}`, `--format=${LOG_FORMAT}`, "HEAD", "--", file]);
      return parseLog(out);
    });
  }

  manifestsAt(sha: string, fetch?: string): Promise<Map<string, string>> {
    if (!/^[0-9a-f]{40}([0-9a-f]{24})?$/.test(sha)) return Promise.reject(new SourceConfigError(`not a commit id: ${sha}`));
    if (fetch !== undefined && !PULL_REF.test(fetch) && !BRANCH_REF.test(fetch)) return Promise.reject(new SourceConfigError(`not a pull request or branch ref: ${fetch}`));
    return this.exclusive(async () => {
      const present = async () => (await this.git.raw(["cat-file", "-t", sha]).catch(() => "")).trim() === "commit";
      if (!(await present()) && fetch !== undefined) {
        try {
          await this.git.raw(["fetch", "--no-tags", "origin", `+${fetch}:refs/simulium/${fetch.slice("refs/".length)}`]);
        } catch (err) {
          const text = errorText(err);
          throw new SourceUnreachableError(this.url, classifyGitFailure(text), gitFailureDetail(text));
        }
      }
      if (!(await present())) throw new SourceConfigError(`commit ${sha} is not in ${this.url}${fetch ? ` (fetched ${fetch})` : ""}`);
      const listed = await this.git.raw(["ls-tree", "-r", "--name-only", sha, "--", "simulium.yaml", "sites"]);
      const files = new Map<string, string>();
      for (const file of listed.split("\n").filter((f) => f !== "")) files.set(file, await this.git.raw(["show", `${sha}:${file}`]));
      return files;
    });
  }

  remoteBranches(): Promise<Map<string, string>> {
    return this.exclusive(async () => {
      let out: string;
      try {
        out = await this.git.raw(["ls-remote", "--heads", "origin"]);
      } catch (err) {
        const text = errorText(err);
        throw new SourceUnreachableError(this.url, classifyGitFailure(text), gitFailureDetail(text));
      }
      return parseLsRemoteHeads(out);
    });
  }

  // Not behind exclusive(): objects are never changed by a fetch or checkout, and a read must
  // not wait for another run's fetch over the network.
  async objects(requests: readonly string[], contents: boolean): Promise<ObjectAnswer[]> {
    if (requests.length === 0) return [];
    // Requests are lines on git's stdin: one with a line break would be two.
    if (requests.some((r) => /[\n\r]/.test(r))) throw new SourceConfigError("a git object request holds a line break");
    const out = await gitWithInput(this.dir, ["cat-file", contents ? "--batch" : "--batch-check", ...(contents ? [] : ["--follow-symlinks"])], `${requests.join("\n")}\n`);
    const answers = parseCatFile(out, contents);
    if (answers.length !== requests.length) throw new Error(`git cat-file: ${answers.length} answers to ${requests.length} requests`);
    return answers;
  }

  async listTree(oid: string): Promise<TreeEntry[]> {
    if (!/^[0-9a-f]{40}([0-9a-f]{24})?$/.test(oid)) throw new SourceConfigError(`not an object id: ${oid}`);
    return parseLsTree(await this.git.raw(["ls-tree", "-z", oid]));
  }

  private async headSha(): Promise<string | undefined> {
    try {
      const out = (await this.git.raw(["rev-parse", "--verify", "--quiet", "HEAD^{commit}"])).trim();
      return out === "" ? undefined : out;
    } catch {
      return undefined; // unborn HEAD: nothing fetched yet
    }
  }

  private async revision(sha: string): Promise<Revision> {
    const [rev] = parseLog(await this.git.raw(["log", "-1", `--format=${LOG_FORMAT}`, sha]));
    if (!rev) throw new Error(`commit ${sha} not found in the local clone`);
    return rev;
  }

  /** `old..new` empty means every commit of old is in new: a fast-forward. */
  private async isAncestor(oldSha: string, newSha: string): Promise<boolean> {
    const count = (await this.git.raw(["rev-list", "--count", `${newSha}..${oldSha}`])).trim();
    return count === "0";
  }

  /** One git operation at a time on the clone: a status request must not read a half-checked-out tree. */
  private exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const next = this.queue.then(fn, fn);
    this.queue = next.catch(() => undefined);
    return next;
  }
}

/** `<sha>\trefs/heads/<name>` lines → name → sha; anything else (a peeled tag, noise) is skipped. Pure. */
export function parseLsRemoteHeads(out: string): Map<string, string> {
  const heads = new Map<string, string>();
  for (const line of out.split("\n")) {
    const m = /^([0-9a-f]{40}(?:[0-9a-f]{24})?)\trefs\/heads\/(.+)$/.exec(line.trim());
    if (m?.[1] !== undefined && m[2] !== undefined && BRANCH_REF.test(`refs/heads/${m[2]}`)) heads.set(m[2], m[1]);
  }
  return heads;
}

function validateOptions(o: GitSourceOptions): void {
  if (o.url === "" || o.url.startsWith("-")) throw new SourceConfigError(`invalid git URL: ${redactUrlUserinfo(o.url)}`);
  if (urlHasPassword(o.url)) {
    throw new SourceConfigError(
      `the git URL ${redactUrlUserinfo(o.url)} carries a password or token; remove it and use a token file instead`,
    );
  }
  if (!/^(?!-)(?!.*\.\.)(?!.*\/\/)(?!.*\.lock$)(?!.*\/$)[A-Za-z0-9._/-]+$/.test(o.branch)) {
    throw new SourceConfigError(`invalid branch name: ${o.branch}`);
  }
  if (o.credentials?.sshKeyFile && o.credentials.tokenFile) {
    throw new SourceConfigError("configure either an SSH key file or a token file, not both");
  }
}

async function checkReadable(c: GitCredentials): Promise<void> {
  for (const [what, file] of [
    ["SSH key file", c.sshKeyFile],
    ["known_hosts file", c.knownHostsFile],
    ["token file", c.tokenFile],
  ] as const) {
    if (file === undefined) continue;
    try {
      await access(file, fsConstants.R_OK);
    } catch {
      throw new SourceConfigError(`${what} ${file} is not readable`);
    }
  }
}

async function isDirectory(p: string): Promise<boolean> {
  try {
    return (await stat(p)).isDirectory();
  } catch {
    return false;
  }
}

/** Ambient variables that only say which CAs to trust: kept so HTTPS to a private forge works. */
const KEPT_GIT_ENV = ["GIT_SSL_CAINFO", "GIT_SSL_CAPATH"] as const;
/** Variables that would run other programs or point git elsewhere (GIT_DIR, GIT_CONFIG_*, editors…). */
const DROPPED_ENV = new Set(["EDITOR", "VISUAL", "PAGER", "PREFIX", "SSH_ASKPASS"]);

/**
 * simple-git replaces the whole environment: keep PATH, HOME and the like, but not the
 * operator's git settings, which have no business in simulium's own clone.
 */
function inheritedEnv(): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) {
    const key = k.toUpperCase();
    if (v === undefined || DROPPED_ENV.has(key)) continue;
    if (key.startsWith("GIT_") && !(KEPT_GIT_ENV as readonly string[]).includes(key)) continue;
    env[k] = v;
  }
  return env;
}

/** git in the clone with `input` on its stdin; its stdout. Only local object reads: no credentials. */
function gitWithInput(dir: string, args: readonly string[], input: string): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const child = spawn("git", ["-C", dir, ...args], { env: { ...inheritedEnv(), GIT_TERMINAL_PROMPT: "0" }, stdio: ["pipe", "pipe", "pipe"] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on("data", (b: Buffer) => out.push(b));
    child.stderr.on("data", (b: Buffer) => err.push(b));
    child.on("error", reject);
    child.on("close", (code) => {
      if (code === 0) resolve(Buffer.concat(out));
      else reject(new Error(`git ${args[0] ?? ""} failed (${code}): ${Buffer.concat(err).toString("utf8").trim()}`));
    });
    child.stdin.on("error", () => undefined);
    child.stdin.end(input);
  });
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
