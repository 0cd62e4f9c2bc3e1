/** What one planning-at-scale child process reports (figure 4). */
export interface PlanScaleResult {
  readonly sites: number;
  readonly changedSites: number;
  /** Process start to the first line of the measurement: node's startup and the imports. */
  readonly startupMs: number;
  /** Reading the manifest files from disk (readRepo), without the swarm's answers parsed between two of its batches. */
  readonly readMs: number;
  /** Parse + validate + resolve (loadForPlan), files already in memory. */
  readonly loadMs: number;
  /** Read, load and live end to end: the swarm's list calls made first, then the files read and loaded (reconcile/load-beside-live.ts). */
  readonly loadAndLiveMs?: number;
  /** Placement (the pins read back from the swarm) and render, as planLoaded does. */
  readonly renderMs: number;
  /**
   * Reading the swarm: the engine's list bodies (synthetic, made outside the clock) parsed and
   * normalised as readLive(…, "plan") does; the engine's own time to answer is not in it.
   * Parsed between two batches of the files' read.
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
   * `simulium plan` in a fresh process, end to end: startup + read + load + live + render + diff
   * (the issue's ≤ 1.5 s target).
   */
  readonly coldPlanMs: number;
  /**
   * CPU time (user + system, all of the process's threads) of each phase: steadier than wall
   * time on a shared, loaded machine. `loadAndLive` is read + load + live; `read` is that less
   * the other two.
   */
  readonly cpuMs: { readonly startup: number; readonly read: number; readonly load: number; readonly render: number; readonly live?: number; readonly diff?: number; readonly liveAndDiff: number; readonly loadAndLive?: number; readonly coldPlan: number };
  /** The process's peak resident memory when the cold plan ended (before the warm pass). */
  readonly peakRssMb: number;
  readonly peakHeapUsedMb: number;
  /** The same, after the warm pass too (absent in older results, where peakRssMb included it). */
  readonly peakRssWithWarmMb?: number;
  /** Every run's cold plan (wall ms) and peak RSS when the size ran more than once; the figures above are the median run's. */
  readonly runs?: readonly { readonly coldPlanMs: number; readonly cpuMs: number; readonly peakRssMb: number }[];
}
