import { VOLATILE_LABELS } from "../desired/labels";
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
  flattenLabels(desired.labels, want);
  flattenLabels(live.labels, have);
  return diffFlat(want, have);
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
  f.set("replicas", String(s.replicas));
  for (const m of s.mounts) f.set(`mounts[${m.target}]`, `${m.source}${m.readOnly ? " (read-only)" : ""}`);
  for (const r of s.secrets) f.set(`secrets[${r.target}]`, r.secretName);
  for (const n of s.networks) f.set(`networks[${n}]`, "attached");
  if (s.memoryBytes !== null) f.set("resources.memory", String(s.memoryBytes));
  if (s.nanoCpus !== null) f.set("resources.cpus", String(s.nanoCpus / 1e9));
  f.set("endpointMode", s.endpointMode);
  for (const p of s.ports) f.set(`ports[${p.published}/${p.protocol}]`, `${p.target} (${p.mode})`);
  for (const c of s.constraints) f.set(`constraints[${c}]`, "set");
  for (const [k, v] of Object.entries(s.taskLabels)) f.set(`taskLabels.${k}`, v);
  f.set("update.order", s.update.order);
  f.set("update.failureAction", s.update.failureAction);
  f.set("update.monitor", `${s.update.monitorSeconds}s`);
  f.set("update.parallelism", String(s.update.parallelism));
  return f;
}

function flattenLabels(labels: Labels, into: Flat): void {
  for (const [k, v] of Object.entries(labels)) {
    if (!VOLATILE_LABELS.has(k)) into.set(`labels.${k}`, v);
  }
}
