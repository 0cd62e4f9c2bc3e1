import { tlsRows } from "../../../bench/report";
import { TlsIssueSample, tlsIssueStats } from "../../../bench/tls-issue-types";

const sample = (seconds: number, ok = true): TlsIssueSample => ({ domain: `n${seconds}.x.test`, names: 2, ok, seconds: ok ? seconds : 0, probes: 10, ...(ok ? {} : { error: "no valid certificate for n.x.test after 600 s" }) });

describe("figure 8: commit → valid certificate served", () => {
  it("takes the median, minimum and maximum over the samples that succeeded only", () => {
    expect(tlsIssueStats([sample(5), sample(3), sample(9)])).toEqual({ medianSeconds: 5, minSeconds: 3, maxSeconds: 9 });
    expect(tlsIssueStats([sample(4), sample(2), sample(8), sample(6)])).toEqual({ medianSeconds: 5, minSeconds: 2, maxSeconds: 8 });
    // A failed sample's 0 s is not a fast sample.
    expect(tlsIssueStats([sample(4), sample(0, false), sample(6)])).toEqual({ medianSeconds: 5, minSeconds: 4, maxSeconds: 6 });
    expect(tlsIssueStats([sample(0, false)])).toEqual({ medianSeconds: null, minSeconds: null, maxSeconds: null });
  });

  it("prints each sample with its steps, a failure with its error, and the summary with the load average", () => {
    const samples = [{ ...sample(4.25), phases: { vcl: 0.5, ordering: 1.25, issued: 2.5, delivered: 4 } }, sample(0, false), sample(6)];
    const text = tlsRows({ samples, ...tlsIssueStats(samples), loadAverage: { start: [3, 2, 1], end: [4, 3, 2] } }).join("\n");
    expect(text).toMatch(/n4\.25\.x\.test +2 +4\.3 s +0\.5 s +1\.3 s +2\.5 s +4\.0 s\n/);
    // A sample without the daemon's step lines shows none.
    expect(text).toMatch(/n6\.x\.test +2 +6\.0 s +- +- +- +-\n/);
    expect(text).toContain("FAILED: no valid certificate for n.x.test after 600 s");
    expect(text).toContain("median 5.1 s, min 4.3 s, max 6.0 s over 2 of 3 samples; load average (1, 5, 15 min) 3.0 2.0 1.0 at the start, 4.0 3.0 2.0 at the end");
  });
});
