import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";

/**
 * The daemon's memory at rest. A run (the read of every service and task, the plan, the
 * rollout's polls) grows V8's young generation to its maximum (two 16 MB semi-spaces) and its
 * old generation with the run's garbage, and V8 keeps those pages committed while the process
 * idles (at 100 sites, 77 MB of V8 heap committed between two resyncs, 32 MB of it the empty
 * young generation). Once the runs
 * are over and nothing ran for a moment, one memory-reducing collection (what V8 does before
 * it would fail an allocation: compacts, shrinks the young generation, returns the empty pages)
 * gives them back. It costs one full collection per quiet spell (20-110 ms measured at
 * 10 to 1,000 synthetic sites, docs/performance.md figure 5b).
 */

/** V8's gc() extension; `flavor: "last-resort"` is the memory-reducing collection (checked on node 22). */
type GcExtension = (options: { readonly type: "major"; readonly execution: "sync"; readonly flavor: "last-resort" }) => void;

/**
 * The memory-reducing collection, or undefined when V8 does not offer it. node is not started
 * with --expose-gc (the operator's command line is not ours to require): the flag set now
 * applies to contexts made after it, so a fresh context hands over its `gc`, and the flag is
 * cleared again (the main context never gets a global `gc`).
 */
export function memoryReducingGc(): (() => void) | undefined {
  const own: unknown = (globalThis as { gc?: unknown }).gc;
  const gc = typeof own === "function" ? own : exposedGc();
  if (typeof gc !== "function") return undefined;
  return () => (gc as GcExtension)({ type: "major", execution: "sync", flavor: "last-resort" });
}

function exposedGc(): unknown {
  try {
    setFlagsFromString("--expose-gc");
    return runInNewContext("gc");
  } catch {
    return undefined;
  } finally {
    setFlagsFromString("--no-expose-gc");
  }
}

export interface IdleSettle {
  /** A run ended: settle once nothing has run for the delay. */
  afterRun(): void;
  stop(): void;
}

export interface IdleSettleOptions {
  /** How long nothing must run before the collection. */
  readonly delayMs: number;
  /** Whether a run is in flight now (then the run that ends later settles instead). */
  readonly busy: () => boolean;
  readonly settle: () => void;
}

/** One settle per quiet spell: each run's end pushes it back, a run in flight skips it. */
export function createIdleSettle(options: IdleSettleOptions): IdleSettle {
  let timer: NodeJS.Timeout | undefined;
  return {
    afterRun() {
      if (timer) clearTimeout(timer);
      timer = setTimeout(() => {
        timer = undefined;
        if (!options.busy()) options.settle();
      }, options.delayMs);
      // A pending settle never keeps the process alive.
      timer.unref();
    },
    stop() {
      if (timer) clearTimeout(timer);
      timer = undefined;
    },
  };
}
