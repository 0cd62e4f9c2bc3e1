import * as nodeModule from "node:module";

/**
 * Imported first by the CLI's entry point: node keeps the compiled code of the CLI's ~300
 * modules on disk between runs (in the OS's temporary directory, or NODE_COMPILE_CACHE;
 * NODE_DISABLE_COMPILE_CACHE=1 turns it off), which saves ~50 ms of CPU of each start of
 * `simulium plan` and every other command (docs/performance.md, figure 4). A cache that
 * cannot be written is skipped by node, never an error. (Node ≥ 22.1; @types/node 20 does
 * not declare it yet.)
 */
const { enableCompileCache } = nodeModule as { enableCompileCache?: () => unknown };
enableCompileCache?.();
