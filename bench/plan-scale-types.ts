/** What one planning-at-scale child process reports (figure 4). */
export interface PlanScaleResult {
  readonly sites: number;
  readonly changedSites: number;
  readonly loadMs: number;
  readonly renderMs: number;
  readonly diffMs: number;
  readonly actions: number;
  readonly peakRssMb: number;
  readonly peakHeapUsedMb: number;
}
