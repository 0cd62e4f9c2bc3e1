/**
 * What git says of a commit's objects, parsed: `git cat-file --batch[-check] --follow-symlinks`
 * answers and `git ls-tree -z` entries (source/git.ts asks). Pure.
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

