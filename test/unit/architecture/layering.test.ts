import { readdirSync, readFileSync, statSync } from "node:fs";
import path from "node:path";

/**
 * The layering of controller/ (docs/architecture.md), checked on every test run: a folder
 * imports only folders of lower layers (or the ones named beside it), and no file imports
 * itself back through a cycle. The core (manifests → desired → live → plan → apply, and the
 * reconcile loop) imports no feature: features implement reconcile/feature.ts, and
 * features.ts hands the list to the reconciler the CLI and the daemon share.
 */
export const LAYERS: readonly (readonly string[])[] = [
  ["manifests", "engine", "varnish", "source", "log.ts"],
  ["desired"],
  ["live"],
  ["plan"],
  ["apply"],
  ["state", "sealing"],
  ["reconcile"],
  ["access"],
  ["jobs", "database", "routing", "logs"],
  ["backup", "siteimport", "compose", "sitegen", "tls", "move"],
  ["features.ts"],
  ["daemon"],
  ["cli"],
];

/** The core, which no feature may be imported into, and the feature folders. */
export const CORE: readonly string[] = ["manifests", "engine", "varnish", "source", "log.ts", "desired", "live", "plan", "apply", "state", "sealing", "reconcile"];
export const FEATURES: readonly string[] = ["access", "jobs", "database", "routing", "logs", "backup", "siteimport", "compose", "sitegen", "tls", "move"];

const root = path.resolve(__dirname, "../../../controller");

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const full = path.join(dir, name);
    return statSync(full).isDirectory() ? files(full) : name.endsWith(".ts") ? [full] : [];
  });
}

const IMPORT = /^(?:import|export)\s[^;]*?from\s+["'](\.{1,2}\/[^"']+)["']/gm;

function importsOf(file: string): string[] {
  const src = readFileSync(file, "utf8");
  return [...src.matchAll(IMPORT)].map((m) => path.resolve(path.dirname(file), m[1] as string) + ".ts");
}

/** The folder (or top-level file) under controller/ a file belongs to. */
const unit = (file: string): string => path.relative(root, file).split(path.sep)[0] as string;
const layerOf = (u: string): number => LAYERS.findIndex((l) => l.includes(u));

function layeringViolations(graph: ReadonlyMap<string, readonly string[]>): string[] {
  const wrong: string[] = [];
  for (const [file, targets] of graph) {
    for (const target of targets) {
      const [from, to] = [unit(file), unit(target)];
      if (from === to) continue;
      if (layerOf(to) >= layerOf(from)) wrong.push(`${path.relative(root, file)} → ${path.relative(root, target)} (${from}: layer ${layerOf(from)}, ${to}: layer ${layerOf(to)})`);
    }
  }
  return wrong;
}

/** Imports from a core file into a feature folder. */
function coreImportsOfFeatures(graph: ReadonlyMap<string, readonly string[]>): string[] {
  const wrong: string[] = [];
  for (const [file, targets] of graph) {
    if (!CORE.includes(unit(file))) continue;
    for (const t of targets) if (FEATURES.includes(unit(t))) wrong.push(`${path.relative(root, file)} → ${path.relative(root, t)}`);
  }
  return wrong;
}

/**
 * Core files (outside manifests/, which owns the format) that read a site's access settings
 * (`site.access`): rendering phpMyAdmin, SSH and SFTP is the access feature's (access/).
 */
function coreReadsOfAccess(sources: ReadonlyMap<string, string>): string[] {
  return [...sources]
    .filter(([file, src]) => CORE.includes(unit(file)) && unit(file) !== "manifests" && /\.access\b/.test(src))
    .map(([file]) => path.relative(root, file));
}

describe("architecture: the layering of controller/", () => {
  const all = files(root);
  const graph = new Map(all.map((f) => [f, importsOf(f).filter((t) => t.startsWith(root))]));

  it("every folder has a layer", () => {
    expect([...new Set(all.map(unit))].filter((u) => layerOf(u) < 0)).toEqual([]);
  });

  it("no folder imports a higher layer or a neighbour of its own layer", () => {
    expect(layeringViolations(graph)).toEqual([]);
  });

  it("the core imports no feature folder (features plug in through reconcile/feature.ts)", () => {
    expect(coreImportsOfFeatures(graph)).toEqual([]);
    // Every folder is either core, a feature, or a front end that wires them (features.ts, daemon, cli).
    const wiring = ["features.ts", "daemon", "cli"];
    expect([...new Set(all.map(unit))].filter((u) => !CORE.includes(u) && !FEATURES.includes(u) && !wiring.includes(u))).toEqual([]);
  });

  it("access services are the access feature's: no core file but the format reads a site's access settings", () => {
    expect(coreReadsOfAccess(new Map(all.map((f) => [f, readFileSync(f, "utf8")])))).toEqual([]);
    expect(all.some((f) => unit(f) === "access" && path.basename(f) === "feature.ts")).toBe(true);
  });

  it("no import cycle between files", () => {
    const cycles: string[] = [];
    const state = new Map<string, "open" | "done">();
    const visit = (f: string, trail: string[]): void => {
      state.set(f, "open");
      for (const t of graph.get(f) ?? []) {
        if (state.get(t) === "open") cycles.push([...trail.slice(trail.indexOf(t)), t].map((x) => path.relative(root, x)).join(" → "));
        else if (!state.has(t)) visit(t, [...trail, t]);
      }
      state.set(f, "done");
    };
    for (const f of all) if (!state.has(f)) visit(f, [f]);
    expect(cycles).toEqual([]);
  });

  it("the checker reports an upward import and a same-layer one (it can fail)", () => {
    const at = (p: string) => path.join(root, p);
    const fake = new Map([
      [at("desired/render.ts"), [at("backup/resources.ts"), at("manifests/types.ts")]],
      [at("jobs/run.ts"), [at("routing/sync.ts")]],
    ]);
    expect(layeringViolations(fake)).toEqual([
      "desired/render.ts → backup/resources.ts (desired: layer 1, backup: layer 9)",
      "jobs/run.ts → routing/sync.ts (jobs: layer 8, routing: layer 8)",
    ]);
    const reconcileIntoRouting = new Map([[at("reconcile/reconcile.ts"), [at("routing/after-apply.ts"), at("plan/types.ts")]]]);
    expect(coreImportsOfFeatures(reconcileIntoRouting)).toEqual(["reconcile/reconcile.ts → routing/after-apply.ts"]);
    const desiredIntoAccess = new Map([[at("desired/render.ts"), [at("access/render.ts")]]]);
    expect(coreImportsOfFeatures(desiredIntoAccess)).toEqual(["desired/render.ts → access/render.ts"]);
    // What desired/render.ts did before access became a feature.
    const oldRender = new Map([[at("desired/render.ts"), "if (site.access?.sftp) out.push(sftpService(site, cluster));"], [at("manifests/access.ts"), "site.access"]]);
    expect(coreReadsOfAccess(oldRender)).toEqual(["desired/render.ts"]);
  });
});
