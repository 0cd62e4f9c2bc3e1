import { VarnishCommandError, VclCompileError } from "./admin-errors";
import type { VarnishAdmin } from "./admin";
import type { VclListEntry } from "./admin-protocol";
import { hashOfName, loadVcl } from "./load";
import { vclHash } from "./vcl";
import { renderVcl } from "./vcl";
import type { VclInput } from "./vcl";
import { heldLabel, inputOf, isOurLabel, renderTopVcl } from "./vcl-split";
import type { RoutingUnit, SplitVcl } from "./vcl-split";

export interface LoadSplitOptions {
  /** How many top-level configurations (`s_*`) stay loaded for rollback. Default 3. */
  readonly keep?: number;
  /**
   * The whole configuration in one VCL (renderVcl of the same input). A Varnish without any
   * label of ours (a new task, or one upgraded from the single VCL) compiles one VCL per
   * group, a quarter of a second each or more: from 8 groups on, this is made active first (one compile), so every site is
   * served while the sites' VCLs are compiled, and discarded once the top-level VCL is active.
   */
  readonly whole?: () => string;
  /**
   * Renders part of a group (renderVcl). Validation lets nothing known to fail through, so a
   * part that does not compile is a Varnish that refuses what this one rendered: tests make
   * one site's part fail here as such a Varnish would.
   */
  readonly render?: (input: VclInput) => string;
  /** The clock, for a prepared VCL's age (prepareSplitVcl): unused ones go after two minutes. Default Date.now(). */
  readonly now?: number;
}

/** Below this, compiling the groups' VCLs takes about as long as the single VCL would: no detour. */
const BOOTSTRAP_MIN_UNITS = 8;

/** A prepared group VCL (prepareSplitVcl) not used within this long is discarded like any unlabelled one (cold meanwhile: memory only). */
const PREPARED_KEEP_S = 120;

export interface UnitFailure {
  /** The group's label. */
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
  /** Group labels whose VCL was compiled (or an already loaded one reused) and relabelled. */
  readonly relabelled: readonly string[];
  readonly failed: readonly UnitFailure[];
  readonly discarded: readonly string[];
  /** Old configurations or labels Varnish refused to discard (an older top-level VCL still names the label); retried next time. */
  readonly notDiscarded: readonly { readonly name: string; readonly reason: string }[];
}

/**
 * Makes a split configuration active on one varnishd: each group whose VCL changed is compiled
 * and its label moved (other groups are not touched, and a relabel is atomic for requests), then
 * the top-level VCL, only if it changed. A group VCL that does not compile is retried without the
 * sites whose own part does not compile (each compiled alone to find them): the others of the
 * group go ahead, and such a site stays on its last good group VCL under a label of its own
 * (heldLabel), or answers 503 if it never had one here. Old group VCLs and the labels of removed
 * groups are discarded so memory does not grow with every change.
 */
export async function loadSplitVcl(admin: VarnishAdmin, split: SplitVcl, opts: LoadSplitOptions = {}): Promise<LoadSplitResult> {
  const nowS = Math.floor((opts.now ?? Date.now()) / 1000);
  const before = await admin.vclList();
  const targets = labelTargets(before);
  const taken = new Set(before.map((v) => v.name));
  const present = new Set(before.filter((v) => v.status !== "discarded" && v.target === undefined).map((v) => v.name));
  const relabelled: string[] = [];
  const failed: UnitFailure[] = [];
  const held = new Map<string, string | null>();
  const keep = opts.keep ?? 3;
  const render = opts.render ?? renderVcl;
  const fresh = ![...targets.keys()].some(isOurLabel);
  // A compile error here is thrown like the top-level VCL's: nothing of the sites was touched.
  const bootstrap = fresh && opts.whole !== undefined && split.units.length >= BOOTSTRAP_MIN_UNITS ? await loadVcl(admin, opts.whole(), { keep }) : undefined;

  /** Loads a VCL under its content name (reusing one already loaded, or prepared: prepareSplitVcl); throws VclCompileError. */
  const load = async (vcl: string): Promise<string> => {
    const hash12 = vclHash(vcl).slice(0, 12);
    let name = `u_${hash12}`;
    if (present.has(name)) return name;
    const prepared = [...present].find((n) => preparedOf(n)?.hash12 === hash12);
    // Warmed now, its probes start from `.initial` as a fresh compile's would. Gone meanwhile
    // (another process discarded it): compiled after all.
    if (prepared !== undefined && (await warmed(admin, prepared))) return prepared;
    for (let n = 2; taken.has(name); n++) name = `u_${hash12}_${n}`;
    await admin.vclInline(name, vcl);
    taken.add(name);
    present.add(name);
    return name;
  };
  const compiles = async (vcl: string): Promise<VclCompileError | undefined> => {
    try {
      await load(vcl);
      return undefined;
    } catch (e) {
      if (!(e instanceof VclCompileError)) throw e;
      return e;
    }
  };
  /**
   * A site of the group left out: held on the last good VCL it was routed with here: its held
   * label of an earlier pass, or the group's current VCL if that routes it (a site new to the
   * group is not in it: 503, not the old VCL's 404).
   */
  const hold = async (unit: RoutingUnit, site: string, error: VclCompileError, current: string | undefined): Promise<void> => {
    const label = heldLabel(site);
    let lastGood = targets.has(label);
    if (!lastGood && current !== undefined && routesSite(await admin.vclShow(current), unit.input, site)) {
      await admin.vclLabel(label, current);
      lastGood = true;
    }
    held.set(site, lastGood ? label : null);
    failed.push({ label: unit.label, site, lastGood, error });
  };

  for (const unit of split.units) {
    const current = targets.get(unit.label);
    if (current !== undefined && unitHashOfName(current) === vclHash(unit.vcl).slice(0, 12)) continue;
    const error = await compiles(unit.vcl);
    if (error === undefined) {
      await admin.vclLabel(unit.label, await load(unit.vcl));
      relabelled.push(unit.label);
      continue;
    }
    // Which sites' parts do not compile alone (a snippet is shared, so it fails each of them).
    const bad: { site: string; error: VclCompileError }[] = [];
    if (unit.sites.length > 1) {
      for (const site of unit.sites) {
        const e = await compiles(render(inputOf(unit.input, new Set([site]))));
        if (e !== undefined) bad.push({ site, error: e });
      }
    }
    const good = unit.sites.filter((s) => !bad.some((b) => b.site === s));
    const rest = bad.length > 0 && good.length > 0 ? render(inputOf(unit.input, new Set(good))) : undefined;
    if (rest !== undefined && (await compiles(rest)) === undefined) {
      for (const b of bad) await hold(unit, b.site, b.error, current);
      await admin.vclLabel(unit.label, await load(rest));
      relabelled.push(unit.label);
    } else if (current === undefined) {
      // Never compiled here and no site to blame alone: the whole group answers 503.
      for (const site of unit.sites) {
        held.set(site, null);
        failed.push({ label: unit.label, site, lastGood: false, error: bad.find((b) => b.site === site)?.error ?? error });
      }
    } else {
      // The group stays on its last good VCL, every site of it.
      for (const site of unit.sites) failed.push({ label: unit.label, site, lastGood: true, error: bad.find((b) => b.site === site)?.error ?? error });
    }
  }
  const top = await loadVcl(admin, renderTopVcl(split.routes, held), { keep });

  const wanted = new Set([...split.units.map((u) => u.label), ...[...held.values()].flatMap((l) => (l === null ? [] : [l]))]);
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
  // The single VCL served only until the groups' VCLs were ready; it holds every site's backends and probes.
  if (bootstrap?.changed === true && bootstrap.name !== top.name) await discard(bootstrap.name);
  let after = await admin.vclList();
  const gone = [...labelTargets(after).keys()].filter((label) => !wanted.has(label) && isOurLabel(label));
  if (gone.length > 0) {
    // Older top-level VCLs kept for rollback still name a removed group's label, and Varnish
    // keeps a named label (and its VCL) loaded: they go first, or the group would stay in memory.
    for (const v of after) if (v.status === "available" && v.target === undefined && hashOfName(v.name) !== undefined) await discard(v.name);
    for (const label of gone) await discard(label);
    after = await admin.vclList();
  }
  // Unlabelled group VCLs: replaced ones, and those compiled only to find a failing site; a
  // prepared one for a while (a task still starting).
  const kept = labelTargets(after);
  const labelled = new Set(kept.values());
  const young = (name: string): boolean => {
    const age = nowS - (preparedOf(name)?.atS ?? -Infinity);
    return age >= 0 && age < PREPARED_KEEP_S;
  };
  for (const v of after) {
    if (v.status === "available" && v.target === undefined && unitHashOfName(v.name) !== undefined && !labelled.has(v.name) && !young(v.name)) await discard(v.name);
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

/** Whether a group VCL's source routes one of the site's domains (renderVcl's routing chain compares the Host with each). */
function routesSite(source: string, input: VclInput, site: string): boolean {
  const domains = [...(input.sites.find((s) => s.name === site)?.domains ?? []), ...(input.tools ?? []).filter((t) => t.site === site).map((t) => t.domain)];
  return domains.some((d) => source.includes(`req.http.host == "${d}"`));
}

/** label → configuration it points at, for the labels of vcl.list. */
export function labelTargets(list: readonly VclListEntry[]): Map<string, string> {
  return new Map(list.flatMap((v) => (v.target !== undefined && v.status !== "discarded" ? [[v.name, v.target] as const] : [])));
}

/** The 12-hex content hash in a group VCL's name (loaded, or prepared), or undefined for any other configuration. */
export function unitHashOfName(name: string): string | undefined {
  return /^u_([0-9a-f]{12})(?:_\d+)?$/.exec(name)?.[1] ?? preparedOf(name)?.hash12;
}

/** A prepared group VCL's name, `p_<hash12>_<epoch seconds>`: its content and when it was compiled. */
export function preparedOf(name: string): { hash12: string; atS: number } | undefined {
  const m = /^p_([0-9a-f]{12})_(\d+)$/.exec(name);
  return m?.[1] === undefined || m[2] === undefined ? undefined : { hash12: m[1], atS: Number(m[2]) };
}

/**
 * Compiles, ahead of time and under no label, each group VCL of `split` that is neither
 * labelled nor prepared yet: the routing a starting task will need once it runs, so that
 * loadSplitVcl then only moves the label (no compile while the site waits). Each is made cold
 * at once: it probes nothing until used, and warming it then starts its probes from `.initial`,
 * so a task that failed probes while starting is not judged by them. A Varnish without labels
 * of ours is left alone (its first load compiles everything, and a compile here would queue
 * before it). A group that does not compile is left to loadSplitVcl, which reports it. Returns
 * the names it loaded.
 */
export async function prepareSplitVcl(admin: VarnishAdmin, split: SplitVcl, now = Date.now()): Promise<string[]> {
  const list = (await admin.vclList()).filter((v) => v.status !== "discarded");
  const targets = labelTargets(list);
  if (![...targets.keys()].some(isOurLabel)) return [];
  const have = new Set(list.map((v) => unitHashOfName(v.name)).filter((h) => h !== undefined));
  const done: string[] = [];
  for (const unit of split.units) {
    const hash12 = vclHash(unit.vcl).slice(0, 12);
    const current = targets.get(unit.label);
    if ((current !== undefined && unitHashOfName(current) === hash12) || have.has(hash12)) continue;
    const name = `p_${hash12}_${Math.floor(now / 1000)}`;
    try {
      await admin.vclInline(name, unit.vcl);
      await admin.vclState(name, "cold");
    } catch (e) {
      if (e instanceof VclCompileError || e instanceof VarnishCommandError) continue;
      throw e;
    }
    have.add(hash12);
    done.push(name);
  }
  return done;
}

/** A prepared (cold) VCL set to auto, to be labelled; false when Varnish no longer has it. */
async function warmed(admin: VarnishAdmin, name: string): Promise<boolean> {
  try {
    await admin.vclState(name, "auto");
    return true;
  } catch (e) {
    if (e instanceof VarnishCommandError) return false;
    throw e;
  }
}
