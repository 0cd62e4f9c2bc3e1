import { createHash } from "node:crypto";
import { readdir, readFile } from "node:fs/promises";
import path from "node:path";
import chokidar from "chokidar";
import { simpleGit } from "simple-git";
import { commitOf } from "./commit";
import { LOG_FORMAT, parseLog } from "./git-log";
import type { Revision, Source, SyncResult } from "./types";

/**
 * The local development loop: manifests are read from a directory as they are, uncommitted
 * edits included. What counts as "the commit" (it becomes the `simulium.commit` label) is
 * commitOf()'s rule, the same `simulium apply` uses: the HEAD sha when nothing changed under
 * the directory, "local" when it has edits (untracked files included) or is not in a git work
 * tree. A label never names a commit the running config does not match.
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

/** commitOf()'s answer for edited or unversioned manifests. */
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
  const sha = await commitOf(root);
  const head = await simpleGit({ baseDir: root })
    .raw(["log", "-1", `--format=${LOG_FORMAT}`, "HEAD"])
    .catch(() => "");
  const [commit] = parseLog(head);
  if (sha !== LOCAL_SHA && commit?.sha === sha) return commit;
  const now = new Date().toISOString();
  if (!commit) return { sha: LOCAL_SHA, author: "", email: "", date: now, subject: "working directory" };
  // Edited files: the author of HEAD did not write them, so no author is claimed.
  return { sha: LOCAL_SHA, author: "", email: "", date: now, subject: `uncommitted changes on ${commit.subject}` };
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
