import { decide, EMPTY_DEDUPE, NotificationEvent } from "../../../controller/daemon/notify-events";
import { tlsEvents } from "../../../controller/daemon/tls-watch";
import { summarizeTls, tlsCell } from "../../../controller/tls/summary";
import { EMPTY_RECORD } from "../../../controller/state/tls-store";

const DAY = 86_400_000;
const now = new Date("2026-03-01T00:00:00Z");
const served = (site: string, domain: string, days: number) => ({ site, served: { domain, notAfter: new Date(now.getTime() + days * DAY) } });

describe("tlsEvents", () => {
  it("warns at 14 days, then at 7, not before", () => {
    const events = tlsEvents([served("a", "a.test", 30), served("a", "www.a.test", 13.5), served("b", "b.test", 6)], [], now);
    expect(events).toEqual([
      { type: "tls.expiring", site: "a", domain: "www.a.test", days: 14, notAfter: new Date(now.getTime() + 13.5 * DAY).toISOString() },
      { type: "tls.expiring", site: "b", domain: "b.test", days: 7, notAfter: new Date(now.getTime() + 6 * DAY).toISOString() },
    ]);
  });

  it("reports every failed order and every name that did not validate", () => {
    expect(tlsEvents([{ site: "a", served: { domain: "a.test", error: "refused" } }], [{ site: "a", failedDomains: { "bad.a.test": "NXDOMAIN" }, issued: ["a.test"] }, { site: "b", failedDomains: {}, error: "rate limited" }, { site: "c", failedDomains: {}, issued: ["c.test"] }], now)).toEqual([
      { type: "tls.renewal-failed", site: "a", message: "names that did not validate: bad.a.test: NXDOMAIN" },
      { type: "tls.renewal-failed", site: "b", message: "order failed: rate limited" },
    ]);
  });

  it("sends each threshold of a certificate once, the next threshold and the next certificate again", () => {
    const at14 = tlsEvents([served("a", "a.test", 13)], [], now)[0] as NotificationEvent;
    const at7 = tlsEvents([served("a", "a.test", 6)], [], now)[0] as NotificationEvent;
    let state = EMPTY_DEDUPE;
    const sent: boolean[] = [];
    for (const [e, t] of [[at14, 0], [at14, 10 * DAY], [at7, 11 * DAY], [at7, 12 * DAY]] as const) {
      const d = decide(state, e, t, 3_600_000);
      sent.push(d.send);
      state = d.state;
    }
    expect(sent).toEqual([true, false, true, false]);
  });
});

describe("the TLS column of simulium status", () => {
  it("says valid, expiring or pending, with the failing names and a waiting order's error", () => {
    const rec = { ...EMPTY_RECORD, domains: ["a.test"], notBefore: "2026-01-01T00:00:00.000Z", notAfter: "2026-04-01T00:00:00.000Z", renewAt: "2026-03-01T00:00:00.000Z" };
    expect(tlsCell(summarizeTls(rec, now))).toBe("valid to 2026-04-01");
    expect(tlsCell(summarizeTls({ ...rec, failing: { "bad.test": { attempts: 1, error: "x", nextAttemptAt: "2026-03-01T00:05:00.000Z" } } }, new Date("2026-03-20T00:00:00Z")))).toBe("expiring to 2026-04-01; failing: bad.test");
    expect(tlsCell(summarizeTls({ ...EMPTY_RECORD, nextAttemptAt: "2026-03-01T01:00:00.000Z", lastError: "rate limited" }, now))).toBe("pending; order failed: rate limited");
  });
});
