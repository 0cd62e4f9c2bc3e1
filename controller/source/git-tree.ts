import { classifySiteEntry, MAX_FILE_BYTES, SITES_DIR } from "../manifests/layout";
import type { RepoFile, RepoRead } from "../manifests/read";
import type { ManifestError } from "../manifests/types";

/**
 * Reading the manifests of one commit from git's objects instead of the working tree: the
 * daemon's runs side by side each read their own commit, while another run's fetch checks out
 * a newer one (a listing torn by a checkout would miss a site and plan its removal). The same
 * rules and words as the working-tree read (manifests/read.ts): a test reads one repository
 * both ways and compares. Pure: git's answers in, files and located errors out.
 */

/** What `git cat-file --batch[-check] --follow-symlinks` says of one object or path. */
export type ObjectAnswer =
  | { readonly kind: "blob"; readonly oid: string; readonly size: number; readonly content?: Buffer }
  | { readonly kind: "tree"; readonly oid: string }
  /** A submodule (commit) or a tag: not a file. */
  | { readonly kind: "other"; readonly type: string }
  /** No such path. */
  | { readonly kind: "missing" }
  /** A symbolic link to nothing in the commit (dangling, a loop, through a file). */
  | { readonly kind: "dangling" }
  /** A symbolic link out of the repository. */
  | { readonly kind: "outside" };

/** Parses cat-file's answers, one per request in order; `contents`: --batch (blob contents follow). */
export function parseCatFile(out: Buffer, contents: boolean): ObjectAnswer[] {
  const answers: ObjectAnswer[] = [];
  let at = 0;
  const line = (): string => {
    const end = out.indexOf(0x0a, at);
    if (end < 0) throw new Error("git cat-file: answer cut short");
    const text = out.subarray(at, end).toString("utf8");
    at = end + 1;
    return text;
  };
  while (at < out.length) {
    const head = line();
    const special = /^(dangling|loop|notdir|symlink) (\d+)$/.exec(head);
    if (special) {
      // The path (or the link's target) follows on its own line.
      at += Number(special[2]) + 1;
      answers.push({ kind: special[1] === "symlink" ? "outside" : "dangling" });
      continue;
    }
    if (/ missing$/.test(head)) {
      answers.push({ kind: "missing" });
      continue;
    }
    const m = /^([0-9a-f]{40,64}) (\w+) (\d+)$/.exec(head);
    if (!m?.[1] || !m[2] || !m[3]) throw new Error(`git cat-file: unexpected answer ${JSON.stringify(head.slice(0, 80))}`);
    const [oid, type, size] = [m[1], m[2], Number(m[3])];
    let content: Buffer | undefined;
    if (contents) {
      content = out.subarray(at, at + size);
      at += size + 1;
    }
    if (type === "blob") answers.push({ kind: "blob", oid, size, ...(content ? { content } : {}) });
    else if (type === "tree") answers.push({ kind: "tree", oid });
    else answers.push({ kind: "other", type });
  }
  return answers;
}

/** One entry of `git ls-tree -z <tree>`. */
export interface TreeEntry {
  readonly name: string;
  readonly directory: boolean;
}

export function parseLsTree(out: string): TreeEntry[] {
  const entries: TreeEntry[] = [];
  for (const record of out.split("\0")) {
    const m = /^(\d{6}) (\w+) [0-9a-f]+\t(.+)$/s.exec(record);
    if (m?.[1] && m[3]) entries.push({ name: m[3], directory: m[1] === "040000" });
  }
  // The working-tree read's order (JavaScript's), not git's.
  return entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
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
