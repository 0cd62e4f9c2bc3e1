import { createHash } from "node:crypto";
import { readdir, readFile } from "node:fs/promises";
import path from "node:path";
import chokidar from "chokidar";
import { simpleGit } from "simple-git";
import { LOG_FORMAT, parseLog } from "./git-log";
import type { Revision, Source, SyncResult } from "./types";

/**
 * The local development loop: manifests are read from a directory as they are, uncommitted
 * edits included. What counts as "the commit" (it becomes the `simulium.commit` label):
 *   - not inside a git work tree: "local";
 *   - inside one, nothing changed under the directory: the HEAD sha, as a git source would say;
 *   - inside one, with changes (untracked files included): "<HEAD sha>-dirty".
 * `changed` compares a hash of the files' content, so saving a file twice without edits is no change.
 */
export interface DirectorySource extends Source {
  /** Calls onChange (debounced) after files under the directory change; returns a close function. */
  watch(onChange: () => void, options?: WatchOptions): Promise<() => Promise<void>>;
}

export interface WatchOptions {
  readonly debounceMs?: number;
  /** Watcher failures after start (e.g. a directory that became unreadable). */
  readonly onError?: (error: unknown) => void;
}

export const LOCAL_SHA = "local";

/** Directories never read nor watched: VCS metadata and tool caches, not manifests. */
const IGNORED_DIRS = new Set([".git", "node_modules"]);

export function openDirectorySource(dir: string): DirectorySource {
  const root = path.resolve(dir);
  let lastFingerprint: string | undefined;
  return {
    dir: root,
    async sync(): Promise<SyncResult> {
      const [revision, fingerprint] = await Promise.all([currentRevision(root), contentFingerprint(root)]);
      const changed = fingerprint !== lastFingerprint;
      lastFingerprint = fingerprint;
      // Editing files is never a rewrite of history.
      return { ...revision, forced: false, changed };
    },
    headCommit: () => currentRevision(root),
    watch: (onChange, options) => watchDirectory(root, onChange, options?.debounceMs ?? 300, options?.onError),
  };
}

async function currentRevision(root: string): Promise<Revision> {
  const git = simpleGit({ baseDir: root });
  const inRepo = await git
    .raw(["rev-parse", "--is-inside-work-tree"])
    .then((o) => o.trim() === "true")
    .catch(() => false);
  const head = inRepo ? await git.raw(["log", "-1", `--format=${LOG_FORMAT}`, "HEAD"]).catch(() => "") : "";
  const [commit] = parseLog(head);
  if (!commit) return { sha: LOCAL_SHA, author: "", email: "", date: new Date().toISOString(), subject: "working directory" };
  // Only this directory counts: the manifests may live in a sub-folder of a larger repository.
  const status = await git.raw(["status", "--porcelain", "--untracked-files=all", "--", "."]);
  if (status.trim() === "") return commit;
  return { ...commit, sha: `${commit.sha}-dirty`, date: new Date().toISOString(), subject: `uncommitted changes on ${commit.subject}` };
}

/** sha256 over every file's relative path and content, in a stable order. */
async function contentFingerprint(root: string): Promise<string> {
  const hash = createHash("sha256");
  for (const file of await listFiles(root, "")) {
    hash.update(file).update("\0").update(await readFile(path.join(root, file))).update("\0");
  }
  return hash.digest("hex");
}

async function listFiles(root: string, rel: string): Promise<string[]> {
  const entries = await readdir(path.join(root, rel), { withFileTypes: true });
  const out: string[] = [];
  for (const e of entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
    const child = rel === "" ? e.name : `${rel}/${e.name}`;
    if (e.isDirectory()) {
      if (!IGNORED_DIRS.has(e.name)) out.push(...(await listFiles(root, child)));
    } else if (e.isFile()) {
      out.push(child);
    }
  }
  return out;
}

async function watchDirectory(
  root: string,
  onChange: () => void,
  debounceMs: number,
  onError: (error: unknown) => void = () => undefined,
): Promise<() => Promise<void>> {
  const watcher = chokidar.watch(root, {
    ignoreInitial: true,
    ignored: (p: string) => path.relative(root, p).split(path.sep).some((part) => IGNORED_DIRS.has(part)),
  });
  let timer: NodeJS.Timeout | undefined;
  // An editor's save is several events (write, rename, chmod): one reconcile for all of them.
  watcher.on("all", () => {
    if (timer) clearTimeout(timer);
    timer = setTimeout(() => {
      timer = undefined;
      onChange();
    }, debounceMs);
  });
  let started = false;
  await new Promise<void>((resolve, reject) => {
    watcher.once("ready", () => {
      started = true;
      resolve();
    });
    // A persistent listener: an 'error' event without one would crash the daemon.
    watcher.on("error", (err: unknown) => (started ? onError(err) : reject(err)));
  });
  return async () => {
    if (timer) clearTimeout(timer);
    timer = undefined;
    await watcher.close();
  };
}
