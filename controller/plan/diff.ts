import { LABEL, VOLATILE_LABELS } from "../desired/labels";
import type { Labels, ServiceShape } from "../desired/types";
import type { Change } from "./types";

type Flat = Map<string, string>;

/** Field-by-field differences between two service shapes and their labels. Pure. */
export function diffService(
  desired: { shape: ServiceShape; labels: Labels },
  live: { shape: ServiceShape; labels: Labels },
): Change[] {
  const want = flattenShape(desired.shape);
  const have = flattenShape(live.shape);
  // The CLI pins `name:tag` to `name:tag@sha256:…` when it can reach a registry; that is the
  // same image, not drift, unless the manifest itself pins a digest.
  if (!desired.shape.image.includes("@") && live.shape.image.split("@")[0] === desired.shape.image) {
    have.set("image", desired.shape.image);
  }
  const wantLists = flattenLabels(desired.labels, want);
  const haveLists = flattenLabels(live.labels, have);
  const listChanges = [...LIST_LABELS.values()].flatMap((field) => diffList(field, wantLists.get(field) ?? [], haveLists.get(field) ?? []));
  return [...diffFlat(want, have), ...listChanges].sort((a, b) => compareFields(a.field, b.field));
}

/**
 * One change per item added or removed (`+ domains[new.org]`), so a site with many domains
 * shows what moved rather than two long comma-joined lines. Order matters too (the first
 * domain is the health probe's Host), so a reordering alone is one `~` line.
 */
export function diffList(field: string, want: readonly string[], have: readonly string[]): Change[] {
  const wantSet = new Set(want);
  const haveSet = new Set(have);
  const added = want.filter((x) => !haveSet.has(x)).map((x): Change => ({ field: `${field}[${x}]`, op: "+" }));
  const removed = have.filter((x) => !wantSet.has(x)).map((x): Change => ({ field: `${field}[${x}]`, op: "-" }));
  if (added.length + removed.length > 0) return [...added, ...removed];
  return want.join(",") === have.join(",") ? [] : [{ field, op: "~", before: have.join(","), after: want.join(",") }];
}

export function diffFlat(want: Flat, have: Flat): Change[] {
  const changes: Change[] = [];
  const keys = [...new Set([...want.keys(), ...have.keys()])].sort(compareFields);
  for (const key of keys) {
    const after = want.get(key);
    const before = have.get(key);
    if (after === before) continue;
    if (before === undefined) changes.push({ field: key, op: "+", after });
    else if (after === undefined) changes.push({ field: key, op: "-", before });
    else changes.push({ field: key, op: "~", before, after });
  }
  return changes;
}

/** Image first, then the rest alphabetically: the line an operator looks for comes first. */
function compareFields(a: string, b: string): number {
  if (a === "image") return -1;
  if (b === "image") return 1;
  return a.localeCompare(b);
}

export function flattenShape(s: ServiceShape): Flat {
  const f: Flat = new Map();
  f.set("image", s.image);
  if (s.args) f.set("command", JSON.stringify(s.args));
  for (const [k, v] of Object.entries(s.env)) f.set(`env.${k}`, v);
  // Swarm's global mode has no replica count; a switch shows as `- replicas` and `+ mode: global`.
  if (s.global) f.set("mode", "global");
  else f.set("replicas", String(s.replicas));
  for (const m of s.mounts) f.set(`mounts[${m.target}]`, `${m.source}${m.readOnly ? " (read-only)" : ""}`);
  for (const r of s.secrets) f.set(`secrets[${r.target}]`, r.mode === undefined ? r.secretName : `${r.secretName} (mode ${r.mode.toString(8)})`);
  for (const n of s.networks) f.set(`networks[${n}]`, "attached");
  if (s.memoryBytes !== null) f.set("resources.memory", String(s.memoryBytes));
  if (s.nanoCpus !== null) f.set("resources.cpus", String(s.nanoCpus / 1e9));
  f.set("endpointMode", s.endpointMode);
  for (const p of s.ports) f.set(`ports[${p.published}/${p.protocol}]`, `${p.target} (${p.mode})`);
  for (const c of s.constraints) f.set(`constraints[${c}]`, "set");
  for (const d of s.spread ?? []) f.set(`placement.spread[${d}]`, "set");
  for (const [k, v] of Object.entries(s.taskLabels)) f.set(`taskLabels.${k}`, v);
  for (const [k, v] of Object.entries(s.sysctls ?? {})) f.set(`sysctls.${k}`, v);
  f.set("update.order", s.update.order);
  f.set("update.failureAction", s.update.failureAction);
  f.set("update.monitor", `${s.update.monitorSeconds}s`);
  f.set("update.parallelism", String(s.update.parallelism));
  f.set("update.delay", `${s.update.delaySeconds}s`);
  if (s.healthcheck) {
    const h = s.healthcheck;
    f.set("healthcheck", `${h.test.join(" ")} (every ${h.intervalSeconds}s, timeout ${h.timeoutSeconds}s, ${h.retries} retries, start period ${h.startPeriodSeconds}s)`);
  }
  if (s.stopGracePeriodSeconds !== undefined) f.set("stopGracePeriod", `${s.stopGracePeriodSeconds}s`);
  return f;
}

/** Labels carrying comma-joined manifest lists, and the manifest field each is shown as. */
const LIST_LABELS: ReadonlyMap<string, string> = new Map([
  [LABEL.domains, "domains"],
  [`${LABEL.routingPrefix}passPaths`, "routing.passPaths"],
]);

/**
 * Labels into `into`, except those that carry manifest fields: routing settings are shown as
 * `routing.<field>` and list labels are returned split, by manifest field, for diffList.
 */
function flattenLabels(labels: Labels, into: Flat): Map<string, string[]> {
  const lists = new Map<string, string[]>();
  for (const [k, v] of Object.entries(labels)) {
    if (VOLATILE_LABELS.has(k)) continue;
    const list = LIST_LABELS.get(k);
    if (list !== undefined) lists.set(list, v.split(",").filter((x) => x !== ""));
    else if (k.startsWith(LABEL.routingPrefix)) into.set(`routing.${k.slice(LABEL.routingPrefix.length)}`, v);
    else into.set(`labels.${k}`, v);
  }
  return lists;
}
