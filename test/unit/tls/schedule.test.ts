import { backoffSeconds, BACKOFF_MAX_SECONDS, decideOrder, parseRetryAfter, renewalTime, withFailures } from "../../../controller/tls/schedule";
import { EMPTY_RECORD, CertRecord } from "../../../controller/state/tls-store";

const DAY = 86_400_000;
const t0 = new Date("2026-01-01T00:00:00Z");
const at = (ms: number) => new Date(t0.getTime() + ms);

describe("renewalTime", () => {
  it("is at two thirds of the lifetime without jitter, up to 5% of it earlier with", () => {
    const after = at(90 * DAY);
    expect(renewalTime(t0, after, 1 / 3, 0).toISOString()).toBe(at(60 * DAY).toISOString());
    expect(renewalTime(t0, after, 1 / 3, 0.999).getTime()).toBeGreaterThan(at(55.5 * DAY).getTime());
    expect(renewalTime(t0, after, 1 / 3, 0.999).getTime()).toBeLessThan(at(60 * DAY).getTime());
  });

  it("follows the lifetime: a 45-day certificate renews at day 30", () => {
    expect(renewalTime(t0, at(45 * DAY), 1 / 3, 0).toISOString()).toBe(at(30 * DAY).toISOString());
  });
});

describe("backoff", () => {
  it("doubles from 5 minutes up to a day, and a longer Retry-After wins", () => {
    expect([1, 2, 3].map((n) => backoffSeconds(n))).toEqual([300, 600, 1200]);
    expect(backoffSeconds(30)).toBe(BACKOFF_MAX_SECONDS);
    expect(backoffSeconds(1, 3600)).toBe(3600);
    expect(backoffSeconds(3, 60)).toBe(1200);
  });

  it("reads Retry-After as seconds or as an HTTP date", () => {
    expect(parseRetryAfter("120", t0)).toBe(120);
    expect(parseRetryAfter(new Date(t0.getTime() + 90_000).toUTCString(), t0)).toBe(90);
    expect(parseRetryAfter(undefined, t0)).toBeUndefined();
    expect(parseRetryAfter("soon", t0)).toBeUndefined();
  });
});

describe("decideOrder", () => {
  const issued: CertRecord = { ...EMPTY_RECORD, domains: ["a.test", "b.test"], notBefore: t0.toISOString(), notAfter: at(90 * DAY).toISOString(), renewAt: at(60 * DAY).toISOString() };

  it("orders a new site, then nothing while the certificate is valid, then at its renewal time", () => {
    expect(decideOrder(EMPTY_RECORD, ["b.test", "a.test"], t0)).toEqual({ order: true, domains: ["a.test", "b.test"], reason: "new" });
    expect(decideOrder(issued, ["a.test", "b.test"], at(59 * DAY))).toEqual({ order: false, reason: "valid" });
    expect(decideOrder(issued, ["a.test", "b.test"], at(60 * DAY))).toMatchObject({ order: true, reason: "renewal" });
  });

  it("orders at once for an added name, and drops a removed one only at the next order", () => {
    expect(decideOrder(issued, ["a.test", "b.test", "c.test"], at(DAY))).toEqual({ order: true, domains: ["a.test", "b.test", "c.test"], reason: "domains-changed" });
    expect(decideOrder(issued, ["a.test"], at(DAY))).toEqual({ order: false, reason: "valid" });
    expect(decideOrder(issued, ["a.test"], at(61 * DAY))).toEqual({ order: true, domains: ["a.test"], reason: "renewal" });
  });

  it("leaves a failing name out until its backoff ends, then retries it", () => {
    const failing = withFailures({ ...issued, domains: ["a.test"] }, new Map([["b.test", "NXDOMAIN"]]), t0);
    expect(failing.failing["b.test"]).toEqual({ attempts: 1, error: "NXDOMAIN", nextAttemptAt: at(300_000).toISOString() });
    expect(decideOrder(failing, ["a.test", "b.test"], at(299_000))).toEqual({ order: false, reason: "valid" });
    expect(decideOrder(failing, ["a.test", "b.test"], at(300_000))).toEqual({ order: true, domains: ["a.test", "b.test"], reason: "retry-domain" });
    expect(withFailures(failing, new Map([["b.test", "NXDOMAIN"]]), at(300_000)).failing["b.test"]?.attempts).toBe(2);
  });

  it("waits out a failed order (Retry-After or backoff), and orders nothing when every name is set aside", () => {
    expect(decideOrder({ ...EMPTY_RECORD, nextAttemptAt: at(1000).toISOString() }, ["a.test"], t0)).toEqual({ order: false, reason: "waiting" });
    const all = withFailures(EMPTY_RECORD, new Map([["a.test", "x"]]), t0);
    expect(decideOrder(all, ["a.test"], at(1000))).toEqual({ order: false, reason: "no-domains" });
  });

  it("orders at most 100 names", () => {
    const many = Array.from({ length: 120 }, (_, i) => `d${String(i).padStart(3, "0")}.test`);
    const d = decideOrder(EMPTY_RECORD, many, t0);
    expect(d.order && d.domains.length).toBe(100);
  });
});
