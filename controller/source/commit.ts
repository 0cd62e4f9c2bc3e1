import { simpleGit } from "simple-git";
import path from "node:path";
import { LOG_FORMAT, parseLog } from "./git-log";
import type { Revision } from "./types";

/**
 * The commit a working directory holds, for the `simulium.commit` label: the HEAD sha when
 * the manifests are committed as they are, "local" when they are edited, not a git work
 * tree, or git is unavailable (a label must never claim a commit the files do not match).
 */
export async function commitOf(dir: string): Promise<string> {
  try {
    const git = simpleGit(path.resolve(dir));
    if (!(await git.checkIsRepo())) return "local";
    const status = await git.status(["--porcelain", "--", "."]);
    if (!status.isClean()) return "local";
    return (await git.revparse(["HEAD"])).trim();
  } catch {
    return "local";
  }
}

/** Author, date and subject of a commit of the repository at `dir`; undefined when git does not know it. */
export async function describeCommit(dir: string, sha: string): Promise<Revision | undefined> {
  if (!/^[0-9a-f]{7,64}$/.test(sha)) return undefined;
  try {
    const out = await simpleGit(path.resolve(dir)).raw(["log", "-1", `--format=${LOG_FORMAT}`, sha, "--"]);
    return parseLog(out)[0];
  } catch {
    return undefined;
  }
}
