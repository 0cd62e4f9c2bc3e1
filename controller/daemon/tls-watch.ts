import { Gauge, Registry } from "prom-client";
import type { Logger } from "../log";
import type { ResolvedCluster, ResolvedSite } from "../manifests/types";
import { StateStore } from "../state/store";
import { readCertRecord } from "../state/tls-store";
import { servedHosts } from "../tls/names";
import { probeServed, ServedCert } from "../tls/probe";
import type { SiteTlsOutcome } from "../tls/renew";
import { EXPIRY_WARNING_DAYS } from "../tls/summary";
import type { NotificationEvent } from "./notify-events";

/**
 * After each reconcile: what the terminator serves for every certificate name, measured by a
 * TLS handshake (simulium_tls_cert_expiry_seconds{site,domain}), and the notifications that
 * nobody has to watch for: 14 and 7 days before a served certificate expires, and every failed
 * order or name. The probe goes to `probeHost` (default 127.0.0.1: the daemon on a node that
 * runs the terminator) on spec.tls.port.
 */
export interface TlsWatch {
  update(cluster: ResolvedCluster, sites: readonly ResolvedSite[], outcomes: readonly SiteTlsOutcome[]): Promise<NotificationEvent[]>;
}

export interface ServedName {
  readonly site: string;
  readonly served: ServedCert;
}

export function createTlsWatch(registry: Registry, opts: { readonly stateDir: string; readonly probeHost?: string; readonly log: Logger; readonly now?: () => number }): TlsWatch {
  const now = opts.now ?? Date.now;
  let last: readonly ServedName[] = [];
  new Gauge({
    name: "simulium_tls_cert_expiry_seconds",
    help: "Seconds until the certificate the TLS terminator serves for a domain expires (a live TLS handshake after each reconcile).",
    labelNames: ["site", "domain"] as const,
    registers: [registry],
    collect() {
      this.reset();
      for (const n of last) if ("notAfter" in n.served) this.set({ site: n.site, domain: n.served.domain }, (n.served.notAfter.getTime() - now()) / 1000);
    },
  });
  return {
    async update(cluster, sites, outcomes) {
      if (cluster.tls?.acme === undefined) {
        last = [];
        return [];
      }
      const store = new StateStore(opts.stateDir, cluster.instance, "read-only");
      const probes: ServedName[] = [];
      for (const site of sites.filter((s) => s.tls?.mode === "acme")) {
        // A wildcard is no host to ask for: the site's domains it covers are measured instead.
        for (const domain of servedHosts(site.domains, readCertRecord(store, site.name).domains)) {
          const served = await probeServed(opts.probeHost ?? "127.0.0.1", cluster.tls.port, domain);
          if ("error" in served) opts.log.warn({ site: site.name, domain, err: served.error }, "tls: served certificate not measured");
          probes.push({ site: site.name, served });
        }
      }
      last = probes;
      return tlsEvents(probes, outcomes, new Date(now()));
    },
  };
}

/** Notifications from the served certificates and this pass's orders. Pure. */
export function tlsEvents(probes: readonly ServedName[], outcomes: readonly SiteTlsOutcome[], now: Date): NotificationEvent[] {
  const events: NotificationEvent[] = [];
  for (const p of probes) {
    if (!("notAfter" in p.served)) continue;
    const daysLeft = (p.served.notAfter.getTime() - now.getTime()) / 86_400_000;
    // The tightest threshold passed: 7 once under a week, else 14 once under two weeks.
    const days = [...EXPIRY_WARNING_DAYS].sort((a, b) => a - b).find((d) => daysLeft < d);
    if (days !== undefined) events.push({ type: "tls.expiring", site: p.site, domain: p.served.domain, days, notAfter: p.served.notAfter.toISOString() });
  }
  for (const o of outcomes) {
    const names = Object.entries(o.failedDomains).map(([d, e]) => `${d}: ${e}`);
    const parts = [...(o.error !== undefined ? [`order failed: ${o.error}`] : []), ...(names.length > 0 ? [`names that did not validate: ${names.join("; ")}`] : [])];
    if (parts.length > 0) events.push({ type: "tls.renewal-failed", site: o.site, message: parts.join("; ") });
  }
  return events;
}
