import { lstatSync, mkdirSync } from "node:fs";
import path from "node:path";

/**
 * `<parent>/simulium-compile-cache-<uid>`, made 0700 if absent; undefined (no cache) unless it
 * is a real directory (not a symbolic link) owned by `uid` that no one else can write to. The
 * parent is the sticky temporary directory: another user can make that name first, but cannot
 * take it away or replace it once it is ours.
 */
export function privateCacheDir(parent: string, uid: number | undefined): string | undefined {
  if (uid === undefined) return undefined;
  const dir = path.join(parent, `simulium-compile-cache-${uid}`);
  try {
    mkdirSync(dir, { mode: 0o700 });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "EEXIST") return undefined;
  }
  try {
    const st = lstatSync(dir);
    return st.isDirectory() && st.uid === uid && (st.mode & 0o022) === 0 ? dir : undefined;
  } catch {
    return undefined;
  }
}
