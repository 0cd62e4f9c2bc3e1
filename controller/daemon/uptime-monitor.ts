import http from "node:http";
import { performance } from "node:perf_hooks";
import { Gauge, Registry } from "prom-client";
import type { Logger } from "../log";
import type { ResolvedUptime } from "../manifests/types";
import { canonicalJson } from "../desired/hash";
import { probeOk, ProbeResult, UNKNOWN, UptimeState, uptimeStep, UptimeTransition } from "./uptime";

/**
 * The daemon's uptime probes: every site's domains requested through Varnish (the published
 * port, with the domain as Host), each site on its own interval (spec.uptime). Results feed
 * the pure transitions of uptime.ts; a transition is handed to `onTransition` (notifications).
 */
export interface UptimeTarget {
  readonly site: string;
  readonly domains: readonly string[];
  readonly uptime: ResolvedUptime;
}

export interface SiteUptime {
  readonly up: boolean;
  /** The slowest domain's answer time in the last probe; null when none answered. */
  readonly seconds: number | null;
  readonly checkedAt: string;
  readonly error: string | null;
}

export interface UptimeMonitor {
  /** After each reconcile: the sites in force and the address Varnish listens on. */
  update(targets: readonly UptimeTarget[], varnish: { readonly host: string; readonly port: number } | undefined): void;
  current(): ReadonlyMap<string, SiteUptime>;
  stop(): void;
}

/** One request through Varnish: the status, or null when nothing answered in time. */
export type Prober = (address: { host: string; port: number }, domain: string, path: string, timeoutMs: number) => Promise<{ status: number | null; detail: string }>;

export function startUptimeMonitor(opts: {
  readonly registry: Registry;
  readonly log: Logger;
  readonly onTransition: (site: string, transition: UptimeTransition, url: string) => void;
  readonly probe?: Prober;
}): UptimeMonitor {
  const probe = opts.probe ?? httpProbe;
  const up = new Gauge({ name: "simulium_site_up", help: "1 when the last uptime probe of every domain of the site through Varnish answered below 500", labelNames: ["site"], registers: [opts.registry] });
  const seconds = new Gauge({ name: "simulium_site_probe_seconds", help: "Answer time of the site's slowest domain in the last uptime probe", labelNames: ["site"], registers: [opts.registry] });
  const slots = new Map<string, { key: string; timer: NodeJS.Timeout; state: UptimeState }>();
  const results = new Map<string, SiteUptime>();
  let stopped = false;

  const runProbe = async (t: UptimeTarget, address: { host: string; port: number }): Promise<void> => {
    const domains = t.domains.filter((d) => !d.startsWith("*."));
    let slowest: number | null = null;
    let failure: string | null = null;
    for (const domain of domains) {
      const started = performance.now();
      const r = await probe(address, domain, t.uptime.path, t.uptime.timeout * 1000).catch((err: unknown) => ({ status: null, detail: err instanceof Error ? err.message : String(err) }));
      const took = (performance.now() - started) / 1000;
      if (r.status !== null) slowest = Math.max(slowest ?? 0, took);
      if (!probeOk(r.status) && failure === null) failure = `${domain}${t.uptime.path}: ${r.detail}`;
    }
    const slot = slots.get(t.site);
    if (stopped || !slot) return;
    const at = new Date().toISOString();
    const result: ProbeResult = { ok: failure === null, at, detail: failure ?? "ok" };
    const step = uptimeStep(slot.state, result, t.uptime.failures);
    slot.state = step.state;
    results.set(t.site, { up: result.ok, seconds: slowest, checkedAt: at, error: failure });
    up.set({ site: t.site }, result.ok ? 1 : 0);
    if (slowest !== null) seconds.set({ site: t.site }, slowest);
    if (step.transition) opts.onTransition(t.site, step.transition, `http://${domains[0] ?? ""}${t.uptime.path}`);
  };

  const schedule = (t: UptimeTarget, address: { host: string; port: number }, key: string, state: UptimeState): void => {
    const tick = (): void => {
      void runProbe(t, address)
        .catch((err: unknown) => opts.log.warn({ site: t.site, err: err instanceof Error ? err.message : String(err) }, "uptime probe failed"))
        .finally(() => {
          const slot = slots.get(t.site);
          if (!stopped && slot?.key === key) slot.timer = setTimeout(tick, t.uptime.interval * 1000);
        });
    };
    // The first probe of a site comes one interval after it is seen: a fresh deploy gets time to serve.
    slots.set(t.site, { key, state, timer: setTimeout(tick, t.uptime.interval * 1000) });
  };

  const forget = (site: string): void => {
    const slot = slots.get(site);
    if (slot) clearTimeout(slot.timer);
    slots.delete(site);
    results.delete(site);
    up.remove({ site });
    seconds.remove({ site });
  };

  return {
    update(targets, varnish) {
      if (stopped) return;
      const wanted = new Map(
        (varnish === undefined ? [] : targets)
          .filter((t) => t.uptime.enabled && t.domains.some((d) => !d.startsWith("*.")))
          .map((t) => [t.site, t]),
      );
      for (const site of [...slots.keys()]) if (!wanted.has(site)) forget(site);
      if (varnish === undefined) return;
      for (const t of wanted.values()) {
        const key = canonicalJson({ domains: t.domains, uptime: t.uptime, varnish });
        const slot = slots.get(t.site);
        if (slot?.key === key) continue;
        // Settings changed: reschedule, keeping what the probes have counted so far.
        if (slot) clearTimeout(slot.timer);
        schedule(t, varnish, key, slot?.state ?? UNKNOWN);
      }
    },
    current: () => results,
    stop() {
      stopped = true;
      for (const slot of slots.values()) clearTimeout(slot.timer);
    },
  };
}

function httpProbe(address: { host: string; port: number }, domain: string, path: string, timeoutMs: number): Promise<{ status: number | null; detail: string }> {
  return new Promise((resolve) => {
    const req = http.request({ host: address.host, port: address.port, path, method: "GET", headers: { Host: domain, "User-Agent": "simulium-uptime" }, agent: false, timeout: timeoutMs }, (res) => {
      res.resume();
      res.on("end", () => resolve({ status: res.statusCode ?? null, detail: `HTTP ${res.statusCode ?? "?"}` }));
      res.on("error", (err) => resolve({ status: null, detail: err.message }));
    });
    req.on("timeout", () => req.destroy(new Error(`no answer within ${timeoutMs / 1000} s`)));
    req.on("error", (err) => resolve({ status: null, detail: err.message }));
    req.end();
  });
}
