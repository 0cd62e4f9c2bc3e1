import type Docker from "dockerode";
import { readLive } from "../live/read";
import type { LiveState } from "../live/types";
import type { Logger } from "../log";
import type { ResolvedCluster } from "../manifests/types";
import type { RoutingHealthRead } from "../routing/backend-health-read";
import { routingHealthOf } from "../routing/routing-health-of";

/**
 * The daemon's latest reading of Varnish's backend health. Runs happen on pushes and resyncs,
 * but a probe turns sick within seconds: /status re-reads Varnish when the reading is older
 * than `maxAgeMs`, one reading at a time however many requests come in.
 */
export interface RoutingHealthCache {
  /** null: no managed Varnish, or nothing read yet. */
  readonly current: () => RoutingHealthRead | null;
  readonly checkedAt: () => string | null;
  /** After a run: reads with the run's cluster (and its fresh live state). */
  refresh(cluster: ResolvedCluster, live?: LiveState): Promise<void>;
  /** Before /status: reads again if the last reading is stale and a run has named the cluster. */
  fresh(): Promise<void>;
}

export function createRoutingHealthCache(docker: Docker, stateDir: string, log: Logger, onRead: () => void, maxAgeMs = 5000): RoutingHealthCache {
  let cluster: ResolvedCluster | undefined;
  let reading: RoutingHealthRead | null = null;
  let at = 0;
  let inFlight: Promise<void> | undefined;
  let lastErrors = "";

  const read = async (c: ResolvedCluster, live?: LiveState): Promise<void> => {
    try {
      reading = await routingHealthOf(docker, c, live ?? (await readLive(docker, c.instance)), stateDir);
    } catch (err) {
      // The engine went away between runs: keep the last reading, the next run reports the engine.
      log.warn({ err: err instanceof Error ? err.message : String(err) }, "routing health not read");
      return;
    }
    at = Date.now();
    const errors = (reading?.errors ?? []).join("; ");
    if (errors !== "" && errors !== lastErrors) log.warn({ err: errors }, "routing health unknown for some Varnish tasks");
    lastErrors = errors;
    onRead();
  };
  const once = (c: ResolvedCluster, live?: LiveState): Promise<void> => {
    inFlight ??= read(c, live).finally(() => (inFlight = undefined));
    return inFlight;
  };

  return {
    current: () => reading,
    checkedAt: () => (at === 0 ? null : new Date(at).toISOString()),
    refresh(c, live) {
      cluster = c;
      return once(c, live);
    },
    async fresh() {
      if (cluster !== undefined && Date.now() - at > maxAgeMs) await once(cluster);
    },
  };
}
