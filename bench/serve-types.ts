/** Figure 3: one changed site out of N, from the change to the first response showing it. */
export interface ServePass {
  readonly ok: boolean;
  /** From the start (commit + push + webhook, or the first `stack deploy`) to the first response with the new version. */
  readonly seconds: number;
  readonly changedSite: string;
  /** Where the changed site's stack comes in the deploy loop (1-based), for the baseline. */
  readonly loopPosition?: number;
  /** Baseline only: how long the whole `docker stack deploy` loop took. */
  readonly loopSeconds?: number;
  /** How the page was read: through the Varnish simulium runs, or by exec in the web task. */
  readonly via: "varnish" | "exec";
  readonly probes: number;
  /** On a cluster: seconds until each node's Varnish served the change, by node address. */
  readonly perHost?: Readonly<Record<string, number>>;
  readonly error?: string;
}

/** Figure 5: the daemon (built CLI, child process) managing N sites, idle between resyncs. */
export interface DaemonRss {
  readonly sites: number;
  readonly ok: boolean;
  /** Spawn to the first successful reconcile (/readyz 200). */
  readonly readySeconds: number;
  readonly idleResyncs: number;
  readonly resyncSeconds: number;
  /** VmRSS half-way between two idle resyncs, after the last one. */
  readonly rssAtRestMb: number | null;
  /** Largest VmRSS sampled while idle (resyncs included). */
  readonly rssIdleMaxMb: number | null;
  /** VmHWM: the process's peak resident memory, start-up converge included. */
  readonly peakRssMb: number | null;
  readonly error?: string;
}

/** Figure 3b (BENCH_ONLY=serve): one change, a different site each time, with Swarm's floors measured right before it. */
export interface ServeSample {
  readonly site: string;
  readonly serve: ServePass;
  /** Service create → running task, just before. */
  readonly floorSeconds: number | null;
  /** A health-checked start-first update → its new task running, just before (bench/swarm.ts updateFloorSeconds). */
  readonly updateFloorSeconds: number | null;
  readonly loadAverage: readonly number[];
}

export interface ServeRun {
  readonly sites: number;
  readonly date: string;
  readonly commit: string;
  readonly samples: readonly ServeSample[];
  /** Set when the sites never converged, so nothing was changed. */
  readonly error?: string;
}
