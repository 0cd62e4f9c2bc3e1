import { decades, growthPanels, growthRows, growthSvg, growthTable, yTicks } from "../../../bench/growth";
import type { PlanScaleResult } from "../../../bench/plan-scale-types";
import type { BenchResults, SizeResult } from "../../../bench/report";
import type { RoutingScaleResult } from "../../../bench/routing-scale-types";
import type { Pass } from "../../../bench/contenders";
import type { DaemonRss, ServePass } from "../../../bench/serve-types";

const pass = (seconds: number, ok = true): Pass => ({ seconds, apiCalls: 5, mutatingCalls: 0, ok, tasksRunning: 2, tasksWanted: 2, writes: {} });
const serve = (seconds: number): ServePass => ({ ok: true, seconds, changedSite: "x", via: "varnish", probes: 3 });
const rss = (mb: number): DaemonRss => ({ sites: 10, ok: true, readySeconds: 3, idleResyncs: 3, resyncSeconds: 5, rssAtRestMb: mb, rssIdleMaxMb: mb, peakRssMb: mb });
const size = (sites: number, noop: number, loopNoop: Pass | null, change: number, mb: number): SizeResult => ({
  sites,
  simulium: { initial: pass(8), noop: pass(noop), serve: serve(change), floorAtServeSeconds: 1, rss: rss(mb) },
  stackDeploy: { initial: pass(9), noop: loopNoop, serve: serve(change * 3), floorAtServeSeconds: 1, rss: null },
  loadAverage: [1, 1, 1],
});
const plan = (sites: number, coldPlanMs: number, cpu: number): PlanScaleResult => ({
  sites,
  changedSites: 1,
  startupMs: 1,
  readMs: 1,
  loadMs: 1,
  renderMs: 1,
  liveMs: 1,
  diffMs: 1,
  warmRenderMs: 1,
  warmDiffMs: 1,
  actions: 1,
  coldPlanMs,
  cpuMs: { startup: 1, read: 1, load: 1, render: 1, liveAndDiff: 1, coldPlan: cpu },
  peakRssMb: 100,
  peakHeapUsedMb: 50,
});

const routing = (sites: number, split: number, whole: number): RoutingScaleResult => ({
  sites,
  whole: { initialSeconds: 1, loadSeconds: whole, liveSeconds: whole, varnishRssMb: 17 },
  split: { initialSeconds: 5, loadSeconds: split, liveSeconds: split, addSiteSeconds: 1, compiledOnMove: 1, varnishRssMb: 17 },
});

const results: BenchResults = {
  commit: "0123456789abcdef",
  dirtyTree: false,
  date: "2026-11-30T00:00:00.000Z",
  cores: 2,
  memoryMb: 24000,
  engine: "20.10",
  cli: "docker",
  sizes: [10, 100],
  planSizes: [100, 1000],
  floorSeconds: 0.5,
  // The loop's no-op at 100 sites failed: it must be absent, not drawn as zero.
  converge: [size(10, 0.05, pass(0.8), 1.3, 112), size(100, 0.3, pass(11, false), 2.1, 132)],
  planning: [plan(100, 250, 200), plan(1000, 900, 700)],
  routing: [routing(100, 0.58, 1.56), routing(1000, 0.41, 13.5)],
  rest: [{ sites: 1000, modulesRssMb: 85, atRestRssMb: 130.4, heapUsedMb: 25, peakRssMb: 131, plannedActions: 10 }],
  loadAverage: { start: [1, 1, 1], end: [1, 1, 1] },
  wallSeconds: 600,
  notes: [],
};

describe("figure 7, the growth", () => {
  const rows = growthRows(results);

  it("has one row per size measured by any figure, and leaves a figure not measured (or failed) empty", () => {
    expect(rows.map((r) => r.sites)).toEqual([10, 100, 1000]);
    expect(rows[0]).toEqual({
      sites: 10,
      noop: { simulium: 0.05, stackDeploy: 0.8 },
      planSeconds: null,
      planCpuSeconds: null,
      change: { simulium: 1.3, stackDeploy: 3.9000000000000004 },
      rssMb: 112,
      restMb: null,
      routing: { split: null, whole: null },
    });
    expect(rows[1]?.noop).toEqual({ simulium: 0.3, stackDeploy: null });
    expect(rows[1]?.routing).toEqual({ split: 0.58, whole: 1.56 });
    expect(rows[2]).toMatchObject({ noop: { simulium: null, stackDeploy: null }, planSeconds: 0.9, planCpuSeconds: 0.7, rssMb: null, restMb: 130.4, routing: { split: 0.41, whole: 13.5 } });
  });

  it("prints the table with - for what was not measured", () => {
    expect(growthTable(rows).map((r) => r.join(" | "))).toEqual([
      "sites | no-op: simulium | no-op: stack deploy | cold plan (its CPU) | change → served: simulium | change → served: stack deploy | task move → Varnish: group VCLs | one VCL | daemon RSS at rest | without an engine",
      "10 | 50 ms | 800 ms | - | 1.30 s | 3.90 s | - | - | 112 MB | -",
      "100 | 300 ms | - | 250 ms (200 ms) | 2.10 s | 6.30 s | 580 ms | 1.56 s | 132 MB | -",
      "1000 | - | - | 900 ms (700 ms) | - | - | 410 ms | 13.50 s | - | 130 MB",
    ]);
  });

  it("draws each series only through its measured points", () => {
    const panels = growthPanels(rows);
    expect(panels.map((p) => p.title)).toEqual(["No-op re-run", "Cold plan, fresh process (no engine)", "One changed site until it serves", "One task move until Varnish serves it", "Daemon RSS at rest"]);
    const noop = panels[0]?.series ?? [];
    expect(noop.map((s) => [s.label, s.points])).toEqual([
      ["simulium", [{ x: 10, y: 0.05 }, { x: 100, y: 0.3 }]],
      ["docker stack deploy loop", [{ x: 10, y: 0.8 }]],
    ]);
    expect(panels[3]?.series.map((s) => [s.label, s.points.length])).toEqual([
      ["simulium, group VCLs", 2],
      ["one VCL of every site (before)", 2],
    ]);
    expect(panels[4]?.series.map((s) => [s.label, s.points])).toEqual([
      ["simulium", [{ x: 10, y: 112 }, { x: 100, y: 132 }]],
      ["without an engine (synthetic)", [{ x: 1000, y: 130.4 }]],
    ]);
  });

  it("puts the axes on whole decades around the values, with 2 and 5 between when they span little", () => {
    expect(decades([0.05, 11])).toEqual({ min: 0.01, max: 100 });
    expect(decades([112, 132])).toEqual({ min: 100, max: 1000 });
    expect(decades([100])).toEqual({ min: 100, max: 1000 });
    expect(yTicks({ min: 100, max: 1000 })).toEqual([100, 200, 500, 1000]);
    expect(yTicks({ min: 0.01, max: 100 })).toEqual([0.01, 0.1, 1, 10, 100]);
  });

  it("renders an SVG document with a line per series, points in log position, and the caption escaped", () => {
    const svg = growthSvg(rows, ["commit <abc> & co", "second line"]);
    expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
    expect(svg.trimEnd().endsWith("</svg>")).toBe(true);
    expect(svg).toContain("commit &lt;abc&gt; &amp; co</text>");
    expect(svg).toContain(">second line</text>");
    // No-op (both), plan (wall and CPU), change (both), task move (both), RSS (both): 10 series, one polyline each.
    expect(svg.match(/<polyline /g)).toHaveLength(10);
    // Sites 10 → 1,000 span the x axis (two decades, 330 px): 100 sites is half-way.
    const noop = /<polyline points="([^"]+)"[^>]*><title>simulium<\/title>/.exec(svg)?.[1]?.split(" ").map((p) => p.split(",").map(Number)) ?? [];
    expect(noop).toHaveLength(2);
    const [[x10, y10] = [], [x100, y100] = []] = noop;
    expect((x100 ?? 0) - (x10 ?? 0)).toBeCloseTo(165, 0);
    // 50 ms → 300 ms is up the panel (smaller y), log-scaled: the axis is 10 ms → 1 s (the
    // loop's 800 ms included), two decades in 250 px, and 300/50 is log10(6) of a decade.
    expect((y10 ?? 0) - (y100 ?? 0)).toBeCloseTo((Math.log10(6) / 2) * 250, 0);
    expect(svg).toContain("<title>simulium, 100 sites: 300 ms</title>");
    expect(svg).not.toContain("NaN");
    expect(svg).not.toContain("Infinity");
  });

  it("says so in a panel with nothing measured, rather than drawing an empty axis", () => {
    const svg = growthSvg(growthRows({ ...results, planning: [], routing: [] }), ["c"]);
    expect(svg).toContain(">not measured</text>");
  });
});
