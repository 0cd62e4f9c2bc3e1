/** What one planning-at-scale child process reports (figure 4). */
export interface PlanScaleResult {
  readonly sites: number;
  readonly changedSites: number;
  /** Process start to the first line of the measurement: node's startup and the imports. */
  readonly startupMs: number;
  /**
   * Reading the manifest files from disk (readRepo) and parsing them: from 500 files on a
   * worker thread, beside the read of the swarm (reconcile/load-beside-live.ts). Until the
   * main thread has them.
   */
  readonly readMs: number;
  /** Validate + resolve (loadForPlan) once the files are read and parsed, on the main thread. */
  readonly loadMs: number;
  /** Read, load and live side by side, end to end (loadBesideLive). */
  readonly loadAndLiveMs?: number;
  /** Placement (the pins read back from the swarm) and render, as planLoaded does. */
  readonly renderMs: number;
  /**
   * Reading the swarm: the engine's list bodies (synthetic, made outside the clock) parsed and
   * normalised as readLive(…, "plan") does; the engine's own time to answer is not in it.
   * On the main thread, beside the read of the manifests.
   */
  readonly liveMs: number;
  readonly diffMs: number;
  /**
   * Render + diff again in the same process, over the same input: what the daemon pays on
   * each later reconcile, its code compiled by then. The first (cold) figure is the CLI's.
   */
  readonly warmRenderMs: number;
  readonly warmDiffMs: number;
  readonly actions: number;
  /** Tasks the plan's read of the swarm listed (readLive's "plan" scope: none once every pin is recorded). */
  readonly tasksListed?: number;
  /**
   * `simulium plan` in a fresh process, end to end: startup + (read and parse beside live, then
   * load) + render + diff (the issue's ≤ 1.5 s target).
   */
  readonly coldPlanMs: number;
  /**
   * CPU time (user + system) of each phase: steadier than wall time on a shared, loaded
   * machine. Read, load and live overlap: `loadAndLive` is the process's (every thread) over
   * them; `live` and `load` the main thread's in each; `read` the rest (the worker thread's
   * read and parse, and the garbage collector's helper threads).
   */
  readonly cpuMs: { readonly startup: number; readonly read: number; readonly load: number; readonly render: number; readonly live?: number; readonly diff?: number; readonly liveAndDiff: number; readonly loadAndLive?: number; readonly coldPlan: number };
  readonly peakRssMb: number;
  readonly peakHeapUsedMb: number;
}
