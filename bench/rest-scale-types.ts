/** What one synthetic daemon-at-rest child process reports (figure 5b), MB. */
export interface RestScaleResult {
  readonly sites: number;
  /** VmRSS with the CLI's and the daemon's modules loaded, before any site. */
  readonly modulesRssMb: number;
  /** VmRSS after two passes over N sites, the last one's results kept, after the daemon's memory-reducing GC. */
  readonly atRestRssMb: number;
  readonly heapUsedMb: number;
  /** VmHWM: the process's peak, the passes included. */
  readonly peakRssMb: number;
  /** How long that collection took, ms (absent in results from before it existed). */
  readonly settleMs?: number;
  /** The kept plan's actions (~1 % of the sites changed): proof it was held. */
  readonly plannedActions: number;
}
