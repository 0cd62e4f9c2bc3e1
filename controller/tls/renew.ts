import type { Logger } from "../log";
import type { ResolvedCluster, ResolvedSite } from "../manifests/types";
import { StateStore } from "../state/store";
import { accountKey, CertRecord, readCertPem, readCertRecord, writeCert, writeCertRecord } from "../state/tls-store";
import { AcmeDirectory, ExternalAccount, OrderOptions, OrderOutcome, orderCertificate } from "./acme";
import type { DnsHook } from "./dns01";
import { Resolve, systemResolve, unresolvedNames } from "./dns-check";
import { certificateNames, challengeOf } from "./names";
import { BadPemError, checkBundle } from "./pem";
import { backoffSeconds, decideOrder, parseRetryAfter, issuedRecord, withFailures } from "./schedule";

/** What one pass of ACME did for a site (status, notifications, logs). Never carries a key. */
export interface SiteTlsOutcome {
  readonly site: string;
  /** Names of the certificate issued in this pass. */
  readonly issued?: readonly string[];
  /** Names that did not validate in this pass, with the CA's reason. */
  readonly failedDomains: Readonly<Record<string, string>>;
  /** The order failed as a whole, or the certificate was refused. */
  readonly error?: string;
}

export interface RenewOptions {
  readonly cluster: ResolvedCluster;
  readonly sites: readonly ResolvedSite[];
  /** Read-write: only the controller holding the instance lock orders certificates. */
  readonly store: StateStore;
  readonly log: Logger;
  readonly now?: () => Date;
  readonly random?: () => number;
  /** Name look-ups before ordering (spec.tls.acme.checkDns); tests give their own. */
  readonly resolve?: Resolve;
  /** What only the operator configures (the controller's flags): the DNS-01 hook, the external account. */
  readonly controller?: AcmeControllerOptions;
  /** The ACME edge; tests of the decisions give their own. */
  readonly order?: (dir: AcmeDirectory, key: Buffer, domains: readonly string[], opts: OrderOptions) => Promise<OrderOutcome>;
}

/**
 * The ACME settings that name a command or a secret file: `simulium run` and `simulium apply`
 * flags (cli/acme-options.ts), never simulium.yaml, whose commits a tenant may propose (issue 15).
 */
export interface AcmeControllerOptions {
  readonly dnsHook?: DnsHook;
  readonly eab?: ExternalAccount;
}

/** The names a site's certificate is ordered for (its wildcards, and the domains they do not cover). */
export function orderedNames(site: ResolvedSite): string[] {
  return certificateNames(site.domains, site.tls?.mode === "acme" ? site.tls.wildcards : []);
}

/** Sites whose certificate is due now (new, renewal, changed names, a domain back from its backoff). Read-only. */
export function sitesDue(cluster: ResolvedCluster, sites: readonly ResolvedSite[], store: StateStore, now: Date): ResolvedSite[] {
  if (cluster.tls?.acme === undefined) return [];
  return sites.filter((s) => s.tls?.mode === "acme" && !s.suspend && decideOrder(recordOf(store, s.name), orderedNames(s), now).order);
}

/** The record, as if nothing were issued when its certificate file is gone (lost, or removed by an operator to force an order). */
function recordOf(store: StateStore, site: string): CertRecord {
  const record = readCertRecord(store, site);
  return readCertPem(store, site) === undefined ? { ...record, domains: [], notAfter: "", notBefore: "", renewAt: "" } : record;
}

/**
 * Orders what is due, one site at a time. A name that fails validation is set aside with its
 * own backoff and the site's other names are ordered again at once, so one bad DNS record
 * never keeps a site without HTTPS. An order that fails as a whole waits (Retry-After, or an
 * exponential backoff): never a tight loop against the CA's rate limits.
 */
export async function renewCertificates(opts: RenewOptions): Promise<SiteTlsOutcome[]> {
  const acme = opts.cluster.tls?.acme;
  if (acme === undefined) return [];
  const now = opts.now ?? (() => new Date());
  const order = opts.order ?? orderCertificate;
  const due = sitesDue(opts.cluster, opts.sites, opts.store, now());
  if (due.length === 0) return [];
  const key = accountKey(opts.store);
  const eab = opts.controller?.eab;
  const dir: AcmeDirectory = { ...acme, ...(eab !== undefined ? { eab } : {}) };
  const out: SiteTlsOutcome[] = [];
  for (const site of due) out.push(await renewSite(site, { ...opts, acme, dir, key, now, order }));
  return out;
}

type SiteContext = RenewOptions & {
  readonly acme: NonNullable<NonNullable<ResolvedCluster["tls"]>["acme"]>;
  readonly dir: AcmeDirectory;
  readonly key: Buffer;
  readonly now: () => Date;
  readonly order: NonNullable<RenewOptions["order"]>;
};

async function renewSite(site: ResolvedSite, ctx: SiteContext): Promise<SiteTlsOutcome> {
  const { store, log } = ctx;
  let record = recordOf(store, site.name);
  const failedDomains: Record<string, string> = {};
  const names = orderedNames(site);
  const challenge = site.tls?.mode === "acme" ? (site.tls.challenge ?? "http-01") : "http-01";
  const dnsHook = ctx.controller?.dnsHook;
  // Each failed try sets at least one name aside: at most one order per name, plus one.
  for (let i = 0; i <= names.length; i++) {
    const decision = decideOrder(record, names, ctx.now());
    if (!decision.order) break;
    const byDns = decision.domains.filter((d) => challengeOf(d, challenge) === "dns-01");
    if (byDns.length > 0 && dnsHook === undefined) {
      // Not an order the CA could grant: waited out like a failed one, without spending one.
      const error = `${byDns.join(", ")} need${byDns.length === 1 ? "s" : ""} DNS-01 (a wildcard, or spec.tls.challenge: dns-01), and the controller has no DNS hook: start it with --acme-dns-hook FILE (docs/tls.md)`;
      return orderFailed(site, record, error, undefined, failedDomains, ctx);
    }
    // Only names validated over HTTP must point at the cluster; DNS-01 names may not (yet).
    const byHttp = decision.domains.filter((d) => !byDns.includes(d));
    if (ctx.acme.checkDns && byHttp.length > 0) {
      const unresolved = await unresolvedNames(byHttp, ctx.acme.expectAddresses, ctx.resolve ?? systemResolve);
      if (unresolved.size > 0) {
        for (const [d, e] of unresolved) failedDomains[d] = e;
        log.warn({ site: site.name, failed: Object.fromEntries(unresolved) }, "tls: names that do not point at the cluster are set aside, not ordered");
        record = withFailures(record, unresolved, ctx.now());
        writeCertRecord(store, site.name, record);
        continue;
      }
    }
    log.info({ site: site.name, domains: decision.domains, reason: decision.reason }, "tls: ordering a certificate");
    const outcome = await ctx.order(ctx.dir, ctx.key, decision.domains, {
      challenge,
      ...(dnsHook !== undefined ? { dnsHook } : {}),
      onCleanupError: (domain, err) => log.warn({ site: site.name, domain, err }, "tls: the DNS hook did not remove a challenge record; remove it by hand"),
    });
    if (outcome.ok) {
      try {
        const info = checkBundle(site.name, outcome.pem, ctx.now());
        const failing = Object.fromEntries(Object.entries(record.failing).filter(([d]) => !decision.domains.includes(d)));
        const next = issuedRecord(decision.domains, info, ctx.acme.renewBeforeFraction, (ctx.random ?? Math.random)(), failing);
        writeCert(store, site.name, outcome.pem, next);
        log.info({ site: site.name, domains: next.domains, notAfter: next.notAfter, renewAt: next.renewAt }, "tls: certificate issued");
        return { site: site.name, issued: next.domains, failedDomains };
      } catch (err) {
        if (!(err instanceof BadPemError)) throw err;
        return orderFailed(site, record, err.message, undefined, failedDomains, ctx);
      }
    }
    if ("failedDomains" in outcome) {
      for (const [d, e] of outcome.failedDomains) failedDomains[d] = e;
      log.warn({ site: site.name, failed: Object.fromEntries(outcome.failedDomains) }, "tls: names did not validate; ordering the others without them");
      record = withFailures(record, outcome.failedDomains, ctx.now());
      writeCertRecord(store, site.name, record);
      continue;
    }
    return orderFailed(site, record, outcome.error, outcome.retryAfter, failedDomains, ctx);
  }
  return { site: site.name, failedDomains };
}

function orderFailed(site: ResolvedSite, record: CertRecord, error: string, retryAfter: string | undefined, failedDomains: Record<string, string>, ctx: SiteContext): SiteTlsOutcome {
  const attempts = (record.orderFailures ?? 0) + 1;
  const now = ctx.now();
  const wait = backoffSeconds(attempts, parseRetryAfter(retryAfter, now));
  const nextAttemptAt = new Date(now.getTime() + wait * 1000).toISOString();
  writeCertRecord(ctx.store, site.name, { ...record, orderFailures: attempts, nextAttemptAt, lastError: error });
  ctx.log.error({ site: site.name, err: error, nextAttemptAt }, "tls: certificate order failed");
  return { site: site.name, failedDomains, error };
}
