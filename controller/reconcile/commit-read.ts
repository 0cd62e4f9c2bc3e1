import { CLUSTER_FILE, classifySiteEntry, MAX_FILE_BYTES, SITES_DIR } from "../manifests/layout";
import type { RepoFile, RepoRead } from "../manifests/read";
import type { ManifestError } from "../manifests/types";
import type { ObjectAnswer, TreeEntry } from "../source/git-objects";

/**
 * Reading the manifests of one commit from git's objects instead of the working tree: the
 * daemon's runs side by side each read their own commit, while another run's fetch checks out
 * a newer one (a listing torn by a checkout would miss a site and plan its removal). The same
 * rules and words as the working-tree read (manifests/read.ts): a test reads one repository
 * both ways and compares. The rules are pure (git's answers in, files and located errors out);
 * readCommit asks git (source/git.ts) for the answers.
 */

/** What readCommit asks of the clone (source/git.ts GitSource). */
export interface CommitObjects {
  /** `git cat-file --batch-check --follow-symlinks` (or `--batch` for contents) of each request. */
  objects(requests: readonly string[], contents: boolean): Promise<ObjectAnswer[]>;
  /** `git ls-tree` of a tree. */
  listTree(oid: string): Promise<TreeEntry[]>;
}

/** The manifests of commit `sha`, read as manifests/read.ts reads a working tree. */
export async function readCommit(git: CommitObjects, sha: string): Promise<RepoRead> {
  if (!/^[0-9a-f]{40}([0-9a-f]{24})?$/.test(sha)) throw new Error(`not a commit id: ${sha}`);
  const [clusterAnswer, sitesAnswer] = await git.objects([`${sha}:${CLUSTER_FILE}`, `${sha}:${SITES_DIR}`], false);
  if (!clusterAnswer || !sitesAnswer) throw new Error("git cat-file: answers missing");
  const clusterOutcome = fileOutcome(clusterAnswer, true);
  const dir = sitesDirectory(sitesAnswer);
  const listing = "tree" in dir ? siteCandidates(await git.listTree(dir.tree)) : { candidates: [], errors: [dir.error] };
  const answers = await git.objects(
    listing.candidates.map((c) => `${sha}:${c.path}`),
    false,
  );
  const outcomes = listing.candidates.map((_, i) => fileOutcome(answers[i] ?? { kind: "missing" }, false));
  const wanted = [clusterOutcome, ...outcomes].flatMap((o) => (o !== null && "oid" in o ? [o.oid] : []));
  const blobs = new Map<string, Buffer>();
  for (const a of await git.objects([...new Set(wanted)], true)) if (a.kind === "blob" && a.content) blobs.set(a.oid, a.content);
  const fileOf = (path: string, outcome: ReturnType<typeof fileOutcome>, site?: string): RepoFile | ManifestError | null => {
    if (outcome === null) return null;
    if ("error" in outcome) return wholeFile(path, outcome.error, site);
    const content = blobs.get(outcome.oid);
    if (content === undefined) return wholeFile(path, "cannot be read", site);
    const text = blobText(content);
    return "text" in text ? { path, text: text.text } : wholeFile(path, text.error, site);
  };
  return assembleRead({
    cluster: fileOf(CLUSTER_FILE, clusterOutcome),
    errors: listing.errors,
    sites: listing.candidates.flatMap((c, i) => fileOf(c.path, outcomes[i] ?? null, c.site) ?? []),
  });
}

/** What the read still needs of git: a path's answer, then the blobs' contents. */
export interface TreeReadPlan {
  /** sites/ entries to look up (following links), in order. */
  readonly candidates: readonly { readonly path: string; readonly site: string }[];
  readonly errors: readonly ManifestError[];
}

/** The sites/ listing → which entries are site manifests to read, and the entries refused by name. */
export function siteCandidates(entries: readonly TreeEntry[]): TreeReadPlan {
  const candidates: { path: string; site: string }[] = [];
  const errors: ManifestError[] = [];
  for (const e of entries) {
    const path = `${SITES_DIR}/${e.name}`;
    const kind = classifySiteEntry(e.name, e.directory);
    if (kind.kind === "ignored") continue;
    if (kind.kind === "error") errors.push(wholeFile(path, kind.message, kind.site));
    else candidates.push({ path, site: kind.site });
  }
  return { candidates, errors };
}

/** Why sites/ cannot be listed, or its tree. */
export function sitesDirectory(answer: ObjectAnswer): { readonly tree: string } | { readonly error: ManifestError } {
  if (answer.kind === "tree") return { tree: answer.oid };
  if (answer.kind === "outside") return { error: wholeFile(SITES_DIR, OUTSIDE) };
  if (answer.kind === "blob" || answer.kind === "other") return { error: wholeFile(SITES_DIR, "must be a directory") };
  return { error: wholeFile(SITES_DIR, "the repository has no sites/ directory (is --repo the manifests repository?)") };
}

/** A file's answer (links followed) → the blob to read, an error, or nothing (an optional file absent). */
export function fileOutcome(answer: ObjectAnswer, optional: boolean): { readonly oid: string } | { readonly error: string } | null {
  switch (answer.kind) {
    case "blob":
      return answer.size > MAX_FILE_BYTES ? { error: TOO_BIG } : { oid: answer.oid };
    case "tree":
      return { error: "is a directory, not a file" };
    case "other":
      return { error: "is not a regular file" };
    case "outside":
      return { error: OUTSIDE };
    case "dangling":
      return { error: "is a symbolic link to a file that does not exist" };
    case "missing":
      return optional ? null : { error: "does not exist" };
  }
}

/** A blob's bytes → its text, or why it is refused. */
export function blobText(content: Buffer): { readonly text: string } | { readonly error: string } {
  if (content.length > MAX_FILE_BYTES) return { error: TOO_BIG };
  try {
    return { text: UTF8.decode(content) };
  } catch {
    return { error: "is not valid UTF-8 text" };
  }
}

/** simulium.yaml first, then the site files in listing order; every file refused is an error naming it. */
export function assembleRead(parts: { readonly cluster: RepoFile | ManifestError | null; readonly sites: readonly (RepoFile | ManifestError)[]; readonly errors: readonly ManifestError[] }): RepoRead {
  const files: RepoFile[] = [];
  const errors: ManifestError[] = [];
  const add = (x: RepoFile | ManifestError): void => {
    if ("text" in x) files.push(x);
    else errors.push(x);
  };
  if (parts.cluster) add(parts.cluster);
  errors.push(...parts.errors);
  for (const s of parts.sites) add(s);
  return { files, errors };
}

export function wholeFile(file: string, message: string, site?: string): ManifestError {
  return { file, line: 0, column: 0, path: "", message, ...(site ? { site } : {}) };
}

const UTF8 = new TextDecoder("utf-8", { fatal: true });
const OUTSIDE = "is a symbolic link that resolves outside the repository: refused";
const TOO_BIG = `is larger than the ${MAX_FILE_BYTES / 1024} KiB limit for a manifest: refused`;
