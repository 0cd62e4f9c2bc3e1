import { closeSync, constants, fstatSync, openSync, readSync } from "node:fs";
import { lstat, readdir, realpath, stat } from "node:fs/promises";
import { join, sep } from "node:path";
import { CLUSTER_FILE, classifySiteEntry, MAX_FILE_BYTES, SITES_DIR } from "./layout";
import type { ManifestError } from "./types";

/** A manifest file's text, with its path relative to the repository root. */
export interface RepoFile {
  readonly path: string;
  readonly text: string;
}

export interface RepoRead {
  readonly files: readonly RepoFile[];
  /** Files that could not be read safely; each names the file and, for a site file, its site. */
  readonly errors: readonly ManifestError[];
}

/**
 * The I/O edge of loading: lists `simulium.yaml` and `sites/*`, and reads each candidate
 * only after proving it is a regular file inside the repository and under the size cap.
 * Never throws for a problem in the repository; each becomes an error value.
 */
export async function readRepo(dir: string): Promise<RepoRead> {
  const files: RepoFile[] = [];
  const errors: ManifestError[] = [];
  let root: string;
  try {
    root = await realpath(dir);
    if (!(await stat(root)).isDirectory()) throw new Error("not a directory");
  } catch {
    return { files, errors: [wholeFile(".", `the repository directory ${JSON.stringify(dir)} does not exist or is not a directory`)] };
  }

  const cluster = await readSafely(root, CLUSTER_FILE, { optional: true });
  if ("text" in cluster) files.push({ path: CLUSTER_FILE, text: cluster.text });
  else if (cluster.error) errors.push(wholeFile(CLUSTER_FILE, cluster.error));

  const sitesDir = await containedDirectory(root, SITES_DIR);
  if (typeof sitesDir === "object") {
    errors.push(wholeFile(SITES_DIR, sitesDir.error));
    return { files, errors };
  }
  const entries = await readdir(sitesDir, { withFileTypes: true });
  entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const candidates: { path: string; name: string; site: string; regular: boolean }[] = [];
  for (const entry of entries) {
    const path = `${SITES_DIR}/${entry.name}`;
    const kind = classifySiteEntry(entry.name, entry.isDirectory());
    if (kind.kind === "ignored") continue;
    if (kind.kind === "error") errors.push(wholeFile(path, kind.message, kind.site));
    else candidates.push({ path, name: entry.name, site: kind.site, regular: entry.isFile() });
  }
  const reads: ReadOutcome[] = [];
  for (let i = 0; i < candidates.length; i++) {
    // A file listed as regular is read synchronously: see readContained. Between batches the
    // event loop runs, so the daemon's HTTP endpoints answer while a large repository loads.
    if (i > 0 && i % READ_BATCH === 0) await new Promise<void>((resolve) => setImmediate(resolve));
    const c = candidates[i] as (typeof candidates)[number];
    reads.push(c.regular ? await readListedFile(root, sitesDir, c.name, c.path) : await readSafely(root, c.path, { optional: false }));
  }
  candidates.forEach((c, i) => {
    const read = reads[i];
    if (read !== undefined && "text" in read) files.push({ path: c.path, text: read.text });
    else errors.push(wholeFile(c.path, read?.error ?? "cannot be read", c.site));
  });
  return { files, errors };
}

/**
 * simulium.yaml's text alone, with readRepo's checks; undefined when there is none or it
 * cannot be read (readRepo then says why).
 */
export async function readClusterFile(dir: string): Promise<string | undefined> {
  try {
    const read = await readSafely(await realpath(dir), CLUSTER_FILE, { optional: true });
    return "text" in read ? read.text : undefined;
  } catch {
    return undefined;
  }
}

/** Files read between two turns of the event loop (a few milliseconds of work). */
const READ_BATCH = 256;

type ReadOutcome = { readonly text: string } | { readonly error?: string };

async function readSafely(root: string, path: string, opts: { optional: boolean }): Promise<ReadOutcome> {
  const abs = join(root, path);
  try {
    await lstat(abs);
  } catch {
    return opts.optional ? {} : { error: "does not exist" };
  }
  let real: string;
  try {
    real = await realpath(abs);
  } catch {
    return { error: "is a symbolic link to a file that does not exist" };
  }
  if (!inside(root, real)) return { error: "is a symbolic link that resolves outside the repository: refused" };
  return readContained(real);
}

/**
 * An entry listed as a regular file (not a link) in the resolved sites/ directory is inside
 * the repository: it is opened directly, four calls instead of seven. One that changed since
 * the listing (now a link: O_NOFOLLOW refuses it) takes the full path above.
 */
async function readListedFile(root: string, sitesDir: string, name: string, path: string): Promise<ReadOutcome> {
  try {
    return readContained(join(sitesDir, name));
  } catch {
    return readSafely(root, path, { optional: false });
  }
}

/**
 * Reads a file already proven inside the repository. Opened non-blocking and checked on the
 * handle, so a FIFO or device (which would block or never end) is refused without a read.
 * Synchronous: a manifest is a few hundred bytes in a local checkout, where each of the four
 * calls takes microseconds, while through the thread pool and promises each was a round trip
 * (0.7-1.4 s of CPU for 10,000 files, against 0.15 s like this). Throws only when the file
 * cannot be opened or read.
 */
function readContained(real: string): ReadOutcome {
  const fd = openSync(real, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  try {
    const info = fstatSync(fd);
    if (info.isDirectory()) return { error: "is a directory, not a file" };
    if (!info.isFile()) return { error: "is not a regular file" };
    if (info.size > MAX_FILE_BYTES) return { error: TOO_BIG };
    // Sized by stat, with a byte to spare: the file may have grown since, so a full buffer
    // grows, to at most one byte past the cap.
    let buf = Buffer.allocUnsafe(info.size + 1);
    let total = 0;
    for (;;) {
      if (total === buf.length) buf = Buffer.concat([buf, Buffer.allocUnsafe(Math.min(buf.length, MAX_FILE_BYTES + 1 - buf.length))]);
      const wanted = buf.length - total;
      const bytesRead = readSync(fd, buf, total, wanted, null);
      total += bytesRead;
      if (total > MAX_FILE_BYTES) return { error: TOO_BIG };
      // A regular file reads short only at its end: no second call to learn that it ended.
      if (bytesRead < wanted) break;
    }
    try {
      return { text: UTF8.decode(buf.subarray(0, total)) };
    } catch {
      return { error: "is not valid UTF-8 text" };
    }
  } finally {
    closeSync(fd);
  }
}

const UTF8 = new TextDecoder("utf-8", { fatal: true });

async function containedDirectory(root: string, path: string): Promise<string | { error: string }> {
  const missing = { error: "the repository has no sites/ directory (is --repo the manifests repository?)" };
  let real: string;
  try {
    real = await realpath(join(root, path));
  } catch {
    return missing;
  }
  if (!inside(root, real)) return { error: "is a symbolic link that resolves outside the repository: refused" };
  if (!(await stat(real)).isDirectory()) return { error: "must be a directory" };
  return real;
}

function inside(root: string, real: string): boolean {
  return real === root || real.startsWith(root.endsWith(sep) ? root : root + sep);
}

const TOO_BIG = `is larger than the ${MAX_FILE_BYTES / 1024} KiB limit for a manifest: refused`;

function wholeFile(file: string, message: string, site?: string): ManifestError {
  return { file, line: 0, column: 0, path: "", message, ...(site ? { site } : {}) };
}
