import { VOLATILE_LABELS } from "../desired/labels";
import type { Labels, ServiceShape } from "../desired/types";

type Spec = { readonly shape: ServiceShape; readonly labels: Labels };

/**
 * A cheap "nothing to do" check that allocates nothing, run before diffService builds its
 * field maps. It may answer false where the diff turns out empty (lists in another order),
 * never true where the diff has a change: diffService stays the authority.
 */
export function sameService(desired: Spec, live: Spec): boolean {
  const a = desired.shape;
  const b = live.shape;
  // The same digest rule as diffService: `name:tag` matches a CLI-pinned `name:tag@sha256:…`.
  const imageSame = a.image === b.image || (!a.image.includes("@") && b.image.split("@")[0] === a.image);
  return (
    imageSame &&
    a.replicas === b.replicas &&
    a.global === b.global &&
    a.memoryBytes === b.memoryBytes &&
    a.nanoCpus === b.nanoCpus &&
    a.endpointMode === b.endpointMode &&
    a.update.order === b.update.order &&
    a.update.failureAction === b.update.failureAction &&
    a.update.monitorSeconds === b.update.monitorSeconds &&
    a.update.parallelism === b.update.parallelism &&
    a.update.delaySeconds === b.update.delaySeconds &&
    (a.args === null ? b.args === null : b.args !== null && sameList(a.args, b.args)) &&
    sameList(a.networks, b.networks) &&
    sameList(a.constraints, b.constraints) &&
    sameList(a.spread ?? [], b.spread ?? []) &&
    sameItems(a.mounts, b.mounts, (x, y) => x.source === y.source && x.target === y.target && x.readOnly === y.readOnly) &&
    sameItems(a.secrets, b.secrets, (x, y) => x.secretName === y.secretName && x.target === y.target && x.mode === y.mode) &&
    sameItems(a.ports, b.ports, (x, y) => x.target === y.target && x.published === y.published && x.protocol === y.protocol && x.mode === y.mode) &&
    sameRecord(a.env, b.env) &&
    sameRecord(a.taskLabels, b.taskLabels) &&
    sameRecord(a.sysctls ?? {}, b.sysctls ?? {}) &&
    sameRecord(desired.labels, live.labels, VOLATILE_LABELS)
  );
}

function sameList(a: readonly string[], b: readonly string[]): boolean {
  return sameItems(a, b, (x, y) => x === y);
}

function sameItems<T>(a: readonly T[], b: readonly T[], eq: (x: T, y: T) => boolean): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (!eq(a[i], b[i])) return false;
  return true;
}

function sameRecord(a: Readonly<Record<string, string>>, b: Readonly<Record<string, string>>, ignore?: ReadonlySet<string>): boolean {
  let count = 0;
  for (const k in a) {
    if (ignore?.has(k)) continue;
    if (a[k] !== b[k]) return false;
    count++;
  }
  for (const k in b) if (!ignore?.has(k)) count--;
  return count === 0;
}
