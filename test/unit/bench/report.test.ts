import type { Pass } from "../../../bench/contenders";
import { BenchResults, renderTable, SizeResult } from "../../../bench/report";
import type { DaemonRss, ServePass } from "../../../bench/serve-types";

const pass = (seconds: number): Pass => ({ seconds, apiCalls: 5, mutatingCalls: 0, ok: true, tasksRunning: 2, tasksWanted: 2, writes: {} });
const rss: DaemonRss = { sites: 10, ok: true, readySeconds: 3.2, idleResyncs: 3, resyncSeconds: 5, rssAtRestMb: 81.4, rssIdleMaxMb: 90.2, peakRssMb: 120.6 };
const viaVarnish: ServePass = { ok: true, seconds: 1.234, changedSite: "x-5", via: "varnish", probes: 20 };
const viaExec: ServePass = { ok: false, seconds: 0, changedSite: "x-5", loopPosition: 6, loopSeconds: 9.87, via: "exec", probes: 300, error: "version 2 not served after 600 s" };

const size: SizeResult = {
  sites: 10,
  simulium: { initial: pass(8), noop: pass(0.2), serve: viaVarnish, floorAtServeSeconds: 0.6, updateFloorAtServeSeconds: 1.1, rss },
  stackDeploy: { initial: pass(9), noop: pass(1), serve: viaExec, floorAtServeSeconds: null, rss: null },
  loadAverage: [3, 2.5, 2],
};

const results: BenchResults = {
  commit: "0123456789abcdef",
  dirtyTree: false,
  date: "2026-11-25T00:00:00.000Z",
  cores: 2,
  memoryMb: 24000,
  engine: "20.10",
  cli: "/usr/bin/docker 20.10",
  sizes: [10],
  planSizes: [],
  floorSeconds: 0.5,
  converge: [size],
  planning: [],
  loadAverage: { start: [1, 1, 1], end: [4, 3, 2] },
  wallSeconds: 600,
  notes: ["shared engine"],
};

describe("bench table", () => {
  const table = renderTable(results);
  const row = (heading: string): string => {
    const lines = table.split("\n");
    const at = lines.findIndex((l) => l.startsWith(heading));
    return lines[at + 2] ?? "";
  };

  it("shows figure 3 with the floor, the loop and where the site came in it, and a failure as FAILED with its reason", () => {
    expect(table).toContain("floor 0.5 s");
    expect(row("3.").split(/\s{2,}/)).toEqual(["10", "1.23 s", "0.6 s", "1.1 s", "FAILED", "-", "-", "9.9 s", "6 of 10"]);
    expect(table).toContain("10 sites: exec: version 2 not served after 600 s");
  });

  it("shows figure 3b's repeated changes with their margin over the update floor, and a run that never converged", () => {
    const t = renderTable({
      ...results,
      serveRuns: [
        { sites: 10, date: "d", commit: "c", samples: [{ site: "x-2", serve: viaVarnish, floorSeconds: 0.5, updateFloorSeconds: 0.9, loadAverage: [1, 1, 1] }] },
        { sites: 100, date: "d", commit: "c", samples: [], error: "not converged after 600 s" },
      ],
    });
    const lines = t.split("\n");
    const at = lines.findIndex((l) => l.startsWith("3b."));
    expect(lines[at + 2]?.split(/\s{2,}/)).toEqual(["10", "x-2", "1.23 s", "0.50 s", "0.90 s", "0.33 s", "1.0 1.0 1.0"]);
    expect(t).toContain("100    -     FAILED: not converged after 600 s");
  });

  it("shows the no-op pass in milliseconds under a second, and how many times faster simulium was", () => {
    expect(row("2.").split(/\s{2,}/)).toEqual(["10", "200 ms", "1.0 s", "5×", "5 (0 writes)", "5 (0 writes)"]);
  });

  it("gives no ratio when a pass failed or was skipped", () => {
    const failed = { ...pass(0.2), ok: false };
    const t = renderTable({ ...results, converge: [{ ...size, simulium: { ...size.simulium, noop: failed } }] });
    expect(t.split("\n").find((l) => l.startsWith("10 ") && l.includes("FAILED") && l.includes("writes"))?.split(/\s{2,}/)[3]).toBe("-");
  });

  it("shows figure 5 from the daemon's /proc figures", () => {
    expect(row("5.").split(/\s{2,}/)).toEqual(["10", "3.2 s", "3 × 5 s", "81 MB", "90 MB", "121 MB"]);
  });

  it("records the load average and the wall time, since the engine is shared", () => {
    expect(table).toContain("start 1.0 1.0 1.0, end 4.0 3.0 2.0; after 10 sites 3.0 2.5 2.0");
    expect(table).toContain("wall time: 10.0 min");
  });
});

describe("bench figure 1b: the initial converge against the engine's floor", () => {
  const phases = { beforeFirstWriteSeconds: 1.25, writingSeconds: 10, afterLastWriteSeconds: 80.04, meanWriteMs: 240.4, readsWhileWriting: 3 };
  const row = { sites: 100, concurrency: 8, floor: { ...pass(80), phases }, simulium: pass(90), simuliumSerial: pass(100), stackDeploy: null, loadAverage: { before: [1, 2, 3], after: [4, 5, 6] } };
  const table = renderTable({ ...results, floorConverge: [row] });
  const lines = table.split("\n");
  const at = lines.findIndex((l) => l.startsWith("1b."));

  it("shows simulium's time over the floor's, the one-at-a-time apply and a skipped stack deploy loop", () => {
    expect(lines[at]).toContain("8 calls at once");
    expect(lines[at + 2]?.split(/\s{2,}/)).toEqual(["100", "80.0 s", "90.0 s", "1.13×", "100.0 s", "skipped", "1.0 2.0 3.0", "4.0 5.0 6.0"]);
  });

  it("says where each pass's time went, for the passes that have the figures", () => {
    expect(lines[at + 4]).toBe("  100 sites: floor 1.3 s + 10.0 s (240 ms a write) + 80.0 s");
  });

  it("gives no ratio when the floor failed", () => {
    const t = renderTable({ ...results, floorConverge: [{ ...row, floor: { ...pass(80), ok: false } }] });
    expect(t.split("\n").find((l) => l.startsWith("100 "))?.split(/\s{2,}/)[3]).toBe("-");
  });
});
