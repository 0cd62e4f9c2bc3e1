import type { CertRecord } from "../state/tls-store";

/** What `simulium status` shows of a site's certificate, from the controller's record. Pure. */
export interface TlsSummary {
  readonly state: "pending" | "valid" | "expiring" | "expired";
  readonly notAfter?: string;
  /** Names set aside after failing validation. */
  readonly failing: readonly string[];
  /** The last order's error, while it is being waited out. */
  readonly lastError?: string;
}

/** Fewer days than this left: "expiring" (the first notification's threshold). */
export const EXPIRY_WARNING_DAYS = [14, 7] as const;
const DAY_MS = 86_400_000;

export function summarizeTls(record: CertRecord, now: Date): TlsSummary {
  const failing = Object.keys(record.failing).sort();
  const error = record.nextAttemptAt !== undefined && Date.parse(record.nextAttemptAt) > now.getTime() && record.lastError !== undefined ? { lastError: record.lastError } : {};
  if (record.notAfter === "") return { state: "pending", failing, ...error };
  const left = Date.parse(record.notAfter) - now.getTime();
  const state = left <= 0 ? "expired" : left < EXPIRY_WARNING_DAYS[0] * DAY_MS ? "expiring" : "valid";
  return { state, notAfter: record.notAfter, failing, ...error };
}

/** The TLS column: `valid to 2026-03-01`, plus the names that fail, or the order's error. */
export function tlsCell(s: TlsSummary): string {
  const base = s.notAfter !== undefined ? `${s.state} to ${s.notAfter.slice(0, 10)}` : s.state;
  const failing = s.failing.length > 0 ? `; failing: ${s.failing.join(", ")}` : "";
  const error = s.lastError !== undefined ? `; order failed: ${s.lastError}` : "";
  return base + failing + error;
}
