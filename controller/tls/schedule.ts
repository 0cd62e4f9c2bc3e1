import type { CertRecord, DomainFailure } from "../state/tls-store";

/** Pure timing of ACME orders (docs/tls.md, "Renewal"): when to renew, when to try again. */

/** Random jitter of the renewal time: up to this fraction of the lifetime earlier, so a fleet issued at once does not renew at once. */
export const JITTER_FRACTION = 0.05;
/** Backoff of a failing order or domain: 5 min, doubling, at most a day. Never a tight loop. */
export const BACKOFF_MIN_SECONDS = 300;
export const BACKOFF_MAX_SECONDS = 86_400;
/** Let's Encrypt's limit of names per certificate. */
export const MAX_NAMES = 100;

/**
 * When to renew a certificate valid from notBefore to notAfter: with `renewBeforeFraction` of
 * its lifetime left (1/3: at two thirds), minus up to JITTER_FRACTION of it. `random` in [0, 1).
 */
/** The record of a certificate just issued (or read back): its names, validity and renewal time. Pure. */
export function issuedRecord(
  domains: readonly string[],
  validity: { readonly notBefore: Date; readonly notAfter: Date },
  renewBeforeFraction: number,
  random: number,
  failing: CertRecord["failing"],
): CertRecord {
  return {
    domains: [...domains],
    notBefore: validity.notBefore.toISOString(),
    notAfter: validity.notAfter.toISOString(),
    renewAt: renewalTime(validity.notBefore, validity.notAfter, renewBeforeFraction, random).toISOString(),
    failing,
  };
}

export function renewalTime(notBefore: Date, notAfter: Date, renewBeforeFraction: number, random: number): Date {
  const life = notAfter.getTime() - notBefore.getTime();
  const at = notAfter.getTime() - life * renewBeforeFraction - life * JITTER_FRACTION * random;
  return new Date(Math.max(notBefore.getTime(), at));
}

/** Seconds to wait after the n-th failure in a row (n ≥ 1); a Retry-After the CA sent wins when longer. */
export function backoffSeconds(attempts: number, retryAfterSeconds?: number): number {
  const exp = Math.min(BACKOFF_MAX_SECONDS, BACKOFF_MIN_SECONDS * 2 ** Math.max(0, attempts - 1));
  return Math.max(exp, retryAfterSeconds ?? 0);
}

/** A Retry-After header (seconds or an HTTP date) in seconds from `now`; undefined when absent or unreadable. */
export function parseRetryAfter(value: string | undefined, now: Date): number | undefined {
  if (value === undefined || value.trim() === "") return undefined;
  if (/^\d+$/.test(value.trim())) return Number(value.trim());
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, Math.round((at - now.getTime()) / 1000));
}

export type OrderDecision =
  | { readonly order: false; readonly reason: "valid" | "waiting" | "no-domains" }
  | { readonly order: true; readonly domains: readonly string[]; readonly reason: "new" | "renewal" | "domains-changed" | "retry-domain" };

/**
 * Whether a site needs an order now, and for which names: its domains without the ones still
 * in their backoff (a failing domain never blocks the others). Removed domains drop out at the
 * next order; a domain added or back from its backoff orders at once.
 */
export function decideOrder(record: CertRecord, domains: readonly string[], now: Date): OrderDecision {
  const t = now.getTime();
  if (record.nextAttemptAt !== undefined && Date.parse(record.nextAttemptAt) > t) return { order: false, reason: "waiting" };
  const waiting = (d: string): boolean => {
    const f = record.failing[d];
    return f !== undefined && Date.parse(f.nextAttemptAt) > t;
  };
  const wanted = [...new Set(domains)].sort().filter((d) => !waiting(d)).slice(0, MAX_NAMES);
  if (wanted.length === 0) return { order: false, reason: "no-domains" };
  if (record.notAfter === "") return { order: true, domains: wanted, reason: "new" };
  if (Date.parse(record.renewAt) <= t || Date.parse(record.notAfter) <= t) return { order: true, domains: wanted, reason: "renewal" };
  const have = new Set(record.domains);
  if (wanted.some((d) => !have.has(d))) {
    return { order: true, domains: wanted, reason: wanted.some((d) => record.failing[d] !== undefined) ? "retry-domain" : "domains-changed" };
  }
  return { order: false, reason: "valid" };
}

/** The record after some domains failed validation: each one's backoff grows on its own. */
export function withFailures(record: CertRecord, failed: ReadonlyMap<string, string>, now: Date): CertRecord {
  const failing: Record<string, DomainFailure> = { ...record.failing };
  for (const [domain, error] of failed) {
    const attempts = (record.failing[domain]?.attempts ?? 0) + 1;
    failing[domain] = { attempts, error, nextAttemptAt: new Date(now.getTime() + backoffSeconds(attempts) * 1000).toISOString() };
  }
  return { ...record, failing };
}
