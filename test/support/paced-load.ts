import { httpGet } from "../harness/http";

export interface LoadFigures {
  readonly requests: number;
  /** Answers other than 200, and transport errors, by status ("error" for the latter). */
  readonly failures: number;
  readonly byStatus: Readonly<Record<string, number>>;
  /** Answers per SITE_VERSION the page named. */
  readonly versions: Readonly<Record<string, number>>;
  readonly seconds: number;
  /** The first few failures, with their time, for the failure message. */
  readonly samples: readonly string[];
}

/**
 * Requests to Varnish at a steady rate (one every 1000/rate ms, each on a new connection, up to
 * `rate` in flight) until `stop()` or `maxSeconds`, tallied by status: the visitor's view of an
 * update. Bounded in rate and time so it never floods the shared machine.
 */
export function pacedLoad(opts: { port: number; host: string; rate: number; maxSeconds: number }): { stop: () => Promise<LoadFigures> } {
  const byStatus: Record<string, number> = {};
  const versions: Record<string, number> = {};
  const samples: string[] = [];
  const inFlight = new Set<Promise<void>>();
  const started = Date.now();
  let requests = 0;
  const one = async (): Promise<void> => {
    let status: string;
    try {
      const r = await httpGet("127.0.0.1", opts.port, "/", { Host: opts.host }, 10_000);
      status = String(r.status);
      if (r.status === 200) {
        const v = /version: (\S+)/.exec(r.body)?.[1] ?? "none";
        versions[v] = (versions[v] ?? 0) + 1;
      } else if (samples.length < 5) samples.push(`${r.status} at +${((Date.now() - started) / 1000).toFixed(1)} s: ${r.body.slice(0, 100)}`);
    } catch (err) {
      status = "error";
      if (samples.length < 5) samples.push(`error at +${((Date.now() - started) / 1000).toFixed(1)} s: ${(err as Error).message}`);
    }
    byStatus[status] = (byStatus[status] ?? 0) + 1;
  };
  const timer = setInterval(() => {
    if (Date.now() - started > opts.maxSeconds * 1000 || inFlight.size >= opts.rate) return;
    requests++;
    const p: Promise<void> = one().finally(() => inFlight.delete(p));
    inFlight.add(p);
  }, 1000 / opts.rate);
  return {
    stop: async () => {
      clearInterval(timer);
      await Promise.all([...inFlight]);
      const failures = Object.entries(byStatus).filter(([s]) => s !== "200").reduce((n, [, c]) => n + c, 0);
      return { requests, failures, byStatus, versions, seconds: (Date.now() - started) / 1000, samples };
    },
  };
}
