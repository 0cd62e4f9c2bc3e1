import { VarnishCommandError, VclCompileError } from "./admin-errors";
import type { VarnishAdmin } from "./admin";
import type { VclListEntry } from "./admin-protocol";
import { hashOfName, loadVcl } from "./load";
import { vclHash } from "./vcl";
import { isOurLabel, renderTopVcl } from "./vcl-split";
import type { SplitVcl } from "./vcl-split";

export interface LoadSplitOptions {
  /** How many top-level configurations (`s_*`) stay loaded for rollback. Default 3. */
  readonly keep?: number;
  /**
   * The whole configuration in one VCL (renderVcl of the same input). A Varnish without any
   * site label of ours (a new task, or one upgraded from the single VCL) compiles one VCL per
   * site, a quarter of a second each: from 8 sites on, this is made active first (one compile), so every site is
   * served while the sites' VCLs are compiled, and discarded once the top-level VCL is active.
   */
  readonly whole?: () => string;
}

/** Below this, compiling the sites' VCLs takes about as long as the single VCL would: no detour. */
const BOOTSTRAP_MIN_UNITS = 8;

export interface UnitFailure {
  readonly label: string;
  readonly site: string;
  /** The site keeps routing with its last VCL that compiled (false: it never had one here, so it answers 503). */
  readonly lastGood: boolean;
  readonly error: VclCompileError;
}

export interface LoadSplitResult {
  /** False when nothing was sent: every label and the top-level VCL already had this content. */
  readonly changed: boolean;
  /** The active top-level configuration, `s_<hash12>`. */
  readonly name: string;
  /** Labels whose site VCL was compiled (or an already loaded one reused) and relabelled. */
  readonly relabelled: readonly string[];
  readonly failed: readonly UnitFailure[];
  readonly discarded: readonly string[];
  /** Old configurations or labels Varnish refused to discard (an older top-level VCL still names the label); retried next time. */
  readonly notDiscarded: readonly { readonly name: string; readonly reason: string }[];
}

/**
 * Makes a split configuration active on one varnishd: each site whose VCL changed is compiled
 * and its label moved (other sites are not touched, and a relabel is atomic for requests), then
 * the top-level VCL, only if it changed. A site VCL that does not compile leaves that site on its
 * last good VCL; the others go ahead. Old site VCLs and the labels of removed sites are discarded
 * so memory does not grow with every change.
 */
export async function loadSplitVcl(admin: VarnishAdmin, split: SplitVcl, opts: LoadSplitOptions = {}): Promise<LoadSplitResult> {
  const before = await admin.vclList();
  const targets = labelTargets(before);
  const taken = new Set(before.map((v) => v.name));
  const present = new Set(before.filter((v) => v.status !== "discarded" && v.target === undefined).map((v) => v.name));
  const relabelled: string[] = [];
  const failed: UnitFailure[] = [];
  const unavailable = new Set<string>();
  const keep = opts.keep ?? 3;
  const fresh = ![...targets.keys()].some(isOurLabel);
  // A compile error here is thrown like the top-level VCL's: nothing of the sites was touched.
  const bootstrap = fresh && opts.whole !== undefined && split.units.length >= BOOTSTRAP_MIN_UNITS ? await loadVcl(admin, opts.whole(), { keep }) : undefined;
  for (const unit of split.units) {
    const hash12 = vclHash(unit.vcl).slice(0, 12);
    const current = targets.get(unit.label);
    if (current !== undefined && unitHashOfName(current) === hash12) continue;
    try {
      let name = `u_${hash12}`;
      if (!present.has(name)) {
        for (let n = 2; taken.has(name); n++) name = `u_${hash12}_${n}`;
        await admin.vclInline(name, unit.vcl);
        taken.add(name);
        present.add(name);
      }
      await admin.vclLabel(unit.label, name);
      relabelled.push(unit.label);
    } catch (e) {
      if (!(e instanceof VclCompileError)) throw e;
      failed.push({ label: unit.label, site: unit.site, lastGood: current !== undefined, error: e });
      if (current === undefined) unavailable.add(unit.label);
    }
  }
  const top = await loadVcl(admin, renderTopVcl(split.routes, unavailable), { keep });

  const wanted = new Set(split.units.map((u) => u.label));
  const discarded = [...(bootstrap?.discarded ?? []), ...top.discarded];
  const notDiscarded = [...(bootstrap?.notDiscarded ?? []), ...top.notDiscarded];
  const discard = async (name: string): Promise<boolean> => {
    try {
      await admin.vclDiscard(name);
      discarded.push(name);
      return true;
    } catch (e) {
      if (!(e instanceof VarnishCommandError)) throw e;
      notDiscarded.push({ name, reason: e.detail });
      return false;
    }
  };
  // The single VCL served only until the sites' VCLs were ready; it holds every site's backends and probes.
  if (bootstrap?.changed === true && bootstrap.name !== top.name) await discard(bootstrap.name);
  let after = await admin.vclList();
  const gone = [...labelTargets(after).keys()].filter((label) => !wanted.has(label) && isOurLabel(label));
  if (gone.length > 0) {
    // Older top-level VCLs kept for rollback still name a removed site's label, and Varnish
    // keeps a named label (and its VCL) loaded: they go first, or the site would stay in memory.
    for (const v of after) if (v.status === "available" && v.target === undefined && hashOfName(v.name) !== undefined) await discard(v.name);
    for (const label of gone) await discard(label);
    after = await admin.vclList();
  }
  const kept = labelTargets(after);
  const labelled = new Set(kept.values());
  for (const v of after) {
    if (v.status === "available" && v.target === undefined && unitHashOfName(v.name) !== undefined && !labelled.has(v.name)) await discard(v.name);
  }
  return {
    changed: top.changed || relabelled.length > 0,
    name: top.name,
    relabelled,
    failed,
    discarded,
    notDiscarded,
  };
}

/** label → configuration it points at, for the labels of vcl.list. */
export function labelTargets(list: readonly VclListEntry[]): Map<string, string> {
  return new Map(list.flatMap((v) => (v.target !== undefined && v.status !== "discarded" ? [[v.name, v.target] as const] : [])));
}

/** The 12-hex content hash in a site VCL's name, or undefined for any other configuration. */
export function unitHashOfName(name: string): string | undefined {
  return /^u_([0-9a-f]{12})(?:_\d+)?$/.exec(name)?.[1];
}
