import type { BenchResults } from "./report";

/**
 * Figure 7, the growth: each figure against the number of sites, for simulium and the stack
 * deploy loop, as a table and as an SVG chart. Pure: results in, text out (no plotting
 * dependency; the chart is five log-log panels drawn by hand).
 */

/** One number of sites; a figure not measured at that size is null (never drawn as zero). */
export interface GrowthRow {
  readonly sites: number;
  /** No-op re-run (figure 2), seconds. */
  readonly noop: Pair;
  /** `simulium plan` in a fresh process (figure 4), seconds; the loop has no plan. */
  readonly planSeconds: number | null;
  /** Its CPU time, the steadier figure on a shared machine. */
  readonly planCpuSeconds: number | null;
  /** One changed site until it serves (figure 3: the routing change), seconds. */
  readonly change: Pair;
  /** The daemon's RSS at rest (figure 5), MB; the loop runs no daemon. */
  readonly rssMb: number | null;
  /** The same without an engine (figure 5b: its modules and two synthetic passes kept), MB. */
  readonly restMb: number | null;
  /** One site's task move until Varnish serves it (figure 6), seconds: group VCLs, and one VCL of every site (before). */
  readonly routing: { readonly split: number | null; readonly whole: number | null };
}

export interface Pair {
  readonly simulium: number | null;
  readonly stackDeploy: number | null;
}

/** Every size measured by any figure, in increasing order. Failed or skipped passes are null. */
export function growthRows(r: BenchResults): GrowthRow[] {
  const routing = r.routing ?? [];
  const rest = r.rest ?? [];
  const sizes = [...new Set([...r.converge.map((c) => c.sites), ...r.planning.map((p) => p.sites), ...routing.map((x) => x.sites), ...rest.map((x) => x.sites)])].sort((a, b) => a - b);
  return sizes.map((sites) => {
    const c = r.converge.find((x) => x.sites === sites);
    const p = r.planning.find((x) => x.sites === sites);
    const v = routing.find((x) => x.sites === sites);
    const ok = (pass: { ok: boolean; seconds: number } | null | undefined): number | null => (pass?.ok ? pass.seconds : null);
    return {
      sites,
      noop: { simulium: ok(c?.simulium.noop), stackDeploy: ok(c?.stackDeploy.noop) },
      planSeconds: p ? p.coldPlanMs / 1000 : null,
      planCpuSeconds: p ? p.cpuMs.coldPlan / 1000 : null,
      change: { simulium: ok(c?.simulium.serve), stackDeploy: ok(c?.stackDeploy.serve) },
      rssMb: c?.simulium.rss?.ok ? c.simulium.rss.rssAtRestMb : null,
      restMb: rest.find((x) => x.sites === sites)?.atRestRssMb ?? null,
      routing: { split: v?.split.liveSeconds ?? null, whole: v?.whole.liveSeconds ?? null },
    };
  });
}

const seconds = (s: number | null): string => (s === null ? "-" : s < 1 ? `${Math.round(s * 1000)} ms` : `${s.toFixed(2)} s`);

/** The growth table (figure 7), in the bench's plain-text style: columns separated by two spaces. */
export function growthTable(rows: readonly GrowthRow[]): string[][] {
  return [
    ["sites", "no-op: simulium", "no-op: stack deploy", "cold plan (its CPU)", "change → served: simulium", "change → served: stack deploy", "task move → Varnish: group VCLs", "one VCL", "daemon RSS at rest", "without an engine"],
    ...rows.map((g) => [
      String(g.sites),
      seconds(g.noop.simulium),
      seconds(g.noop.stackDeploy),
      g.planSeconds === null ? "-" : `${seconds(g.planSeconds)} (${seconds(g.planCpuSeconds)})`,
      seconds(g.change.simulium),
      seconds(g.change.stackDeploy),
      seconds(g.routing.split),
      seconds(g.routing.whole),
      g.rssMb === null ? "-" : `${g.rssMb.toFixed(0)} MB`,
      g.restMb === null ? "-" : `${g.restMb.toFixed(0)} MB`,
    ]),
  ];
}

export interface Point {
  readonly x: number;
  readonly y: number;
}

export interface Series {
  readonly label: string;
  readonly points: readonly Point[];
  /** simulium solid, the loop dashed: readable in grey too. */
  readonly dashed: boolean;
  readonly colour: string;
}

export interface Panel {
  readonly title: string;
  readonly unit: "s" | "MB";
  readonly series: readonly Series[];
}

const points = (rows: readonly GrowthRow[], y: (g: GrowthRow) => number | null): Point[] =>
  rows.flatMap((g) => {
    const v = y(g);
    return v === null || !(v > 0) ? [] : [{ x: g.sites, y: v }];
  });

/** The five panels of figure 7. A series with no point is left out (the loop has no plan, no daemon). */
export function growthPanels(rows: readonly GrowthRow[]): Panel[] {
  const series = (label: string, style: Omit<Series, "label" | "points">, y: (g: GrowthRow) => number | null): Series[] => {
    const p = points(rows, y);
    return p.length > 0 ? [{ label, ...style, points: p }] : [];
  };
  const simulium = { dashed: false, colour: "#1f5fa8" };
  const loop = { dashed: true, colour: "#d9661f" };
  const both = (y: (g: GrowthRow) => Pair): Series[] => [
    ...series("simulium", simulium, (g) => y(g).simulium),
    ...series("docker stack deploy loop", loop, (g) => y(g).stackDeploy),
  ];
  return [
    { title: "No-op re-run", unit: "s", series: both((g) => g.noop) },
    {
      title: "Cold plan, fresh process (no engine)",
      unit: "s",
      series: [...series("simulium, wall time", simulium, (g) => g.planSeconds), ...series("simulium, CPU time", { dashed: true, colour: "#6c9bd2" }, (g) => g.planCpuSeconds)],
    },
    { title: "One changed site until it serves", unit: "s", series: both((g) => g.change) },
    {
      title: "One task move until Varnish serves it",
      unit: "s",
      series: [...series("simulium, group VCLs", simulium, (g) => g.routing.split), ...series("one VCL of every site (before)", { dashed: true, colour: "#7a7a7a" }, (g) => g.routing.whole)],
    },
    {
      title: "Daemon RSS at rest",
      unit: "MB",
      series: [...series("simulium", simulium, (g) => g.rssMb), ...series("without an engine (synthetic)", { dashed: true, colour: "#6c9bd2" }, (g) => g.restMb)],
    },
  ];
}

/** Powers of ten from just below the smallest value to just above the largest. */
export function decades(values: readonly number[]): { min: number; max: number } {
  const lo = Math.min(...values);
  const hi = Math.max(...values);
  const min = 10 ** Math.floor(Math.log10(lo));
  let max = 10 ** Math.ceil(Math.log10(hi));
  if (max <= min) max = min * 10;
  return { min, max };
}

const PANEL_W = 330;
const PANEL_H = 250;
const MARGIN = { left: 75, top: 40, between: 80, right: 25 };
const COLUMNS = 3;
const W = COLUMNS * (MARGIN.left + PANEL_W) + MARGIN.right;
const H = 2 * (PANEL_H + MARGIN.between) + MARGIN.top;

const esc = (s: string): string => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
const fixed = (n: number): string => n.toFixed(1);

function tickLabel(v: number, unit: "s" | "MB"): string {
  if (unit === "MB") return `${v} MB`;
  return v < 1 ? `${Math.round(v * 1000)} ms` : `${v} s`;
}

/** Decades, plus 2 and 5 times each when the axis spans at most two decades. */
export function yTicks(ys: { min: number; max: number }): number[] {
  const few = ys.max / ys.min <= 100;
  const out: number[] = [];
  for (let d = ys.min; d <= ys.max * 1.0001; d *= 10) {
    for (const m of few ? [1, 2, 5] : [1]) {
      const v = Number((d * m).toPrecision(6));
      if (v <= ys.max * 1.0001) out.push(v);
    }
  }
  return out;
}

/** One panel at (ox, oy): log-log axes at decades, a polyline and markers per series. */
function panelSvg(panel: Panel, ox: number, oy: number, xs: { min: number; max: number }): string {
  const out: string[] = [`<text x="${ox}" y="${oy - 12}" class="title">${esc(panel.title)}</text>`];
  const all = panel.series.flatMap((s) => s.points.map((p) => p.y));
  if (all.length === 0) {
    out.push(`<rect x="${ox}" y="${oy}" width="${PANEL_W}" height="${PANEL_H}" class="frame"/>`);
    out.push(`<text x="${ox + PANEL_W / 2}" y="${oy + PANEL_H / 2}" class="none">not measured</text>`);
    return out.join("\n");
  }
  const ys = decades(all);
  const x = (v: number): number => ox + ((Math.log10(v) - Math.log10(xs.min)) / (Math.log10(xs.max) - Math.log10(xs.min))) * PANEL_W;
  const y = (v: number): number => oy + PANEL_H - ((Math.log10(v) - Math.log10(ys.min)) / (Math.log10(ys.max) - Math.log10(ys.min))) * PANEL_H;
  out.push(`<rect x="${ox}" y="${oy}" width="${PANEL_W}" height="${PANEL_H}" class="frame"/>`);
  for (let v = xs.min; v <= xs.max * 1.0001; v *= 10) {
    out.push(`<line x1="${fixed(x(v))}" y1="${oy}" x2="${fixed(x(v))}" y2="${oy + PANEL_H}" class="grid"/>`);
    out.push(`<text x="${fixed(x(v))}" y="${oy + PANEL_H + 16}" class="xtick">${v.toLocaleString("en-US")}</text>`);
  }
  for (const v of yTicks(ys)) {
    out.push(`<line x1="${ox}" y1="${fixed(y(v))}" x2="${ox + PANEL_W}" y2="${fixed(y(v))}" class="grid"/>`);
    out.push(`<text x="${ox - 6}" y="${fixed(y(v) + 4)}" class="ytick">${esc(tickLabel(v, panel.unit))}</text>`);
  }
  panel.series.forEach((s, i) => {
    const colour = s.colour;
    const coords = s.points.map((p) => `${fixed(x(p.x))},${fixed(y(p.y))}`).join(" ");
    out.push(`<polyline points="${coords}" fill="none" stroke="${colour}" stroke-width="2"${s.dashed ? ' stroke-dasharray="6 4"' : ""}><title>${esc(s.label)}</title></polyline>`);
    for (const p of s.points) {
      const value = panel.unit === "s" ? seconds(p.y) : `${p.y.toFixed(0)} MB`;
      out.push(`<circle cx="${fixed(x(p.x))}" cy="${fixed(y(p.y))}" r="3.5" fill="${colour}"><title>${esc(`${s.label}, ${p.x} sites: ${value}`)}</title></circle>`);
      // Right of the point, or left of it near the panel's right edge, where it would be cut.
      const left = x(p.x) > ox + PANEL_W - 60;
      out.push(`<text x="${fixed(x(p.x) + (left ? -6 : 6))}" y="${fixed(y(p.y) + (s.dashed ? 14 : -6))}" class="value${left ? " end" : ""}" fill="${colour}">${esc(value)}</text>`);
    }
    out.push(`<text x="${ox + 8}" y="${oy + 16 + i * 15}" class="legend" fill="${colour}">${s.dashed ? "- - " : "── "}${esc(s.label)}</text>`);
  });
  return out.join("\n");
}

/** Figure 7 as a standalone SVG document: five panels, sites on a log axis, values on log axes. */
export function growthSvg(rows: readonly GrowthRow[], caption: readonly string[]): string {
  const panels = growthPanels(rows);
  const sites = rows.map((g) => g.sites).filter((n) => n > 0);
  const xs = decades(sites.length > 0 ? sites : [10, 1000]);
  const body = panels.map((p, i) => panelSvg(p, MARGIN.left + (i % COLUMNS) * (PANEL_W + MARGIN.left), MARGIN.top + Math.floor(i / COLUMNS) * (PANEL_H + MARGIN.between), xs));
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="12">`,
    "<style>.frame{fill:#fff;stroke:#888}.grid{stroke:#ddd}.title{font-weight:bold;font-size:13px}.xtick{text-anchor:middle;fill:#444}.ytick{text-anchor:end;fill:#444}.none{text-anchor:middle;fill:#888}.caption{fill:#444}.value{font-size:10px}.end{text-anchor:end}</style>",
    `<rect width="${W}" height="${H}" fill="#fff"/>`,
    ...body,
    ...caption.map((line, i) => `<text x="${MARGIN.left}" y="${H - 10 - (caption.length - 1 - i) * 15}" class="caption">${esc(line)}</text>`),
    "</svg>",
    "",
  ].join("\n");
}

/** The caption's lines: where the figures come from, so a chart is never read without its conditions. */
export function growthCaption(r: BenchResults): string[] {
  return [
    `Sites (log scale) against each figure (log scale), from bench/results/latest.json: commit ${r.commit.slice(0, 7)}, ${r.date.slice(0, 10)}, ${r.cores} cores.`,
    `Engine figures at ${r.sizes.join(", ")} sites, planning at ${r.planSizes.join(", ")}, routing at ${(r.routing ?? []).map((x) => x.sites).join(", ") || "none"}${r.notes.some((n) => /^(planning|figure [46] )/.test(n)) ? " (some re-measured later: see the notes there)" : ""}.`,
  ];
}
