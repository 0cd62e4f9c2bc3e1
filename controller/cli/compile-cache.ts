import * as nodeModule from "node:module";
import os from "node:os";
import { privateCacheDir } from "./compile-cache-dir";

/**
 * Imported first by the CLI's entry point: node keeps the compiled code of the CLI's ~300
 * modules on disk between runs, which saves ~50 ms of CPU of each start of `simulium plan` and
 * every other command (docs/performance.md). A cache that cannot be used is skipped, never an
 * error. (Node ≥ 22.1; @types/node 20 does not declare it yet.)
 *
 * Never node's default directory (`$TMPDIR/node-compile-cache`, shared by every user): node
 * runs what a cache entry holds without checking who wrote it, so a local user who made that
 * directory first would run code as whoever runs simulium (root, often). The cache lives in a
 * directory of this user's own, mode 0700 (privateCacheDir), or in NODE_COMPILE_CACHE, the
 * operator's choice; NODE_DISABLE_COMPILE_CACHE=1 turns it off.
 */
const { enableCompileCache } = nodeModule as { enableCompileCache?: (dir?: string) => unknown };
// Turned off: not even its directory is made.
if (enableCompileCache !== undefined && !process.env.NODE_DISABLE_COMPILE_CACHE) {
  const explicit = process.env.NODE_COMPILE_CACHE;
  const dir = explicit !== undefined && explicit !== "" ? explicit : privateCacheDir(os.tmpdir(), process.getuid?.());
  if (dir !== undefined) enableCompileCache(dir);
}
