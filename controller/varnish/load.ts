import { VarnishCommandError } from "./admin-errors";
import type { VarnishAdmin } from "./admin";
import type { VclListEntry } from "./admin-protocol";
import { vclHash } from "./vcl";

export interface LoadVclOptions {
  /** How many simulium configurations (`s_*`, the active one included) stay loaded for rollback. Default 3. */
  readonly keep?: number;
}

export interface LoadVclResult {
  /** False when the active configuration already had this content: nothing was sent. */
  readonly changed: boolean;
  /** The configuration now active, `s_<first 12 hex of vclHash>` (plus `_<n>` if that name was taken). */
  readonly name: string;
  readonly discarded: readonly string[];
  /** Old configurations Varnish refused to discard (labelled, still referenced); retried next time. */
  readonly notDiscarded: readonly { readonly name: string; readonly reason: string }[];
}

/**
 * Makes `vcl` the active configuration of one varnishd, idempotently. If it does not compile,
 * VclCompileError is thrown before anything changes: the running configuration keeps serving.
 */
export async function loadVcl(admin: VarnishAdmin, vcl: string, opts: LoadVclOptions = {}): Promise<LoadVclResult> {
  const keep = opts.keep ?? 3;
  if (!Number.isInteger(keep) || keep < 1) throw new RangeError(`keep must be a whole number >= 1, got ${keep}`);
  const hash12 = vclHash(vcl).slice(0, 12);
  const loaded = await admin.vclList();
  const active = loaded.find((v) => v.status === "active");
  if (active !== undefined && hashOfName(active.name) === hash12) {
    return { changed: false, name: active.name, discarded: [], notDiscarded: [] };
  }
  const reusable = loaded.find((v) => v.status === "available" && hashOfName(v.name) === hash12);
  const name = reusable?.name ?? freeName(hash12, loaded);
  if (reusable === undefined) await admin.vclInline(name, vcl);
  await admin.vclUse(name);

  const discarded: string[] = [];
  const notDiscarded: { name: string; reason: string }[] = [];
  for (const old of planDiscards(await admin.vclList(), keep)) {
    try {
      await admin.vclDiscard(old);
      discarded.push(old);
    } catch (e) {
      if (!(e instanceof VarnishCommandError)) throw e;
      notDiscarded.push({ name: old, reason: e.detail });
    }
  }
  return { changed: true, name, discarded, notDiscarded };
}

/**
 * Which simulium configurations to discard: all `s_*` ones except the last `keep` loaded
 * (vcl.list is in load order) and the active one. Others' configurations (`boot`, an
 * operator's own) and ones already being discarded are left alone. Pure.
 */
export function planDiscards(loaded: readonly VclListEntry[], keep: number): string[] {
  const ours = loaded.filter((v) => v.status !== "discarded" && hashOfName(v.name) !== undefined);
  const kept = new Set(ours.slice(Math.max(0, ours.length - keep)).map((v) => v.name));
  return ours.filter((v) => v.status === "available" && !kept.has(v.name)).map((v) => v.name);
}

/** The 12-hex content hash in a name simulium gave, or undefined for any other configuration. */
export function hashOfName(name: string): string | undefined {
  return /^s_([0-9a-f]{12})(?:_\d+)?$/.exec(name)?.[1];
}

/** `s_<hash12>`, unless a configuration being discarded still holds that name. */
function freeName(hash12: string, loaded: readonly VclListEntry[]): string {
  const taken = new Set(loaded.map((v) => v.name));
  let name = `s_${hash12}`;
  for (let n = 2; taken.has(name); n++) name = `s_${hash12}_${n}`;
  return name;
}
