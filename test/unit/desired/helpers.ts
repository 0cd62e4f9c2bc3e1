import type { DesiredState, NetworkSpec, ResourceSpec, SecretSpec, ServiceSpec, VolumeSpec } from "../../../controller/desired/types";

type ByKind = { network: NetworkSpec; volume: VolumeSpec; secret: SecretSpec; service: ServiceSpec };

/** The one resource of a kind and name, failing the test when it is missing. */
export function find<K extends keyof ByKind>(desired: DesiredState | readonly ResourceSpec[], kind: K, name: string): ByKind[K] {
  const list = "resources" in desired ? desired.resources : desired;
  const found = list.find((r) => r.kind === kind && r.name === name);
  if (!found) throw new Error(`no ${kind} ${name} in ${list.map((r) => `${r.kind}/${r.name}`).join(", ")}`);
  return found as ByKind[K];
}

export function ofKind<K extends keyof ByKind>(desired: DesiredState, kind: K): ByKind[K][] {
  return desired.resources.filter((r) => r.kind === kind) as ByKind[K][];
}

export const secretByLogical = (desired: DesiredState, site: string, logical: string): SecretSpec => {
  const found = ofKind(desired, "secret").find((s) => s.site === site && s.logicalName === logical);
  if (!found) throw new Error(`no secret ${logical} for ${site}`);
  return found;
};
