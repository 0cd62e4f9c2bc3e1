import { simpleGit } from "simple-git";
import path from "node:path";

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
