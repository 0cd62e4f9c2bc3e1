/** What one planning-at-scale child process reports (figure 4). */
export interface PlanScaleResult {
  readonly sites: number;
  readonly changedSites: number;
  readonly loadMs: number;
  readonly renderMs: number;
  readonly diffMs: number;
  /**
   * Render + diff again in the same process, over the same input: what the daemon pays on
   * each later reconcile, its code compiled by then. The first (cold) figure is the CLI's.
   */
  readonly warmRenderMs: number;
  readonly warmDiffMs: number;
  readonly actions: number;
  readonly peakRssMb: number;
  readonly peakHeapUsedMb: number;
}
