import { LABEL } from "../desired/labels";
import type { ServiceSpec } from "../desired/types";
import type { ApiMount, ApiServiceSpec } from "../engine/api-types";

/**
 * The switch of a move: a service of the site as the engine runs it, re-pinned from one node to
 * another as a reconcile would render it pinned there (desired/placement.ts): the `simulium.node`
 * label, the `node.id==` constraint, and the volume options of its mounts (how the new node's
 * engine makes a volume it lacks; none when the new node is the controller's). Nothing else
 * changes: not the image, not a manifest change that was never applied. Pure; null when the
 * service needs no change (switched already: the step is idempotent).
 */
export function switchPin(live: ApiServiceSpec, from: string, to: string, rendered: ServiceSpec | undefined): ApiServiceSpec | null {
  const labels = live.Labels ?? {};
  const constraints = live.TaskTemplate?.Placement?.Constraints ?? [];
  const wasPinned = constraints.includes(`node.id==${from}`);
  const labelled = labels[LABEL.node] !== undefined;
  if (!wasPinned && !labelled) return null;
  const nextConstraints = wasPinned ? [...constraints.filter((c) => c !== `node.id==${from}`), `node.id==${to}`].sort() : constraints;
  const mounts = live.TaskTemplate?.ContainerSpec?.Mounts ?? [];
  const nextMounts = wasPinned ? mounts.map((m) => withVolumeOptions(m, rendered)) : mounts;
  const next: ApiServiceSpec = {
    ...live,
    Labels: { ...labels, ...(labelled || wasPinned ? { [LABEL.node]: to } : {}) },
    TaskTemplate: {
      ...live.TaskTemplate,
      ContainerSpec: { ...live.TaskTemplate?.ContainerSpec, ...(mounts.length > 0 ? { Mounts: nextMounts } : {}) },
      Placement: { ...live.TaskTemplate?.Placement, Constraints: nextConstraints },
    },
  };
  return JSON.stringify(next) === JSON.stringify(live) ? null : next;
}

function withVolumeOptions(m: ApiMount, rendered: ServiceSpec | undefined): ApiMount {
  const { VolumeOptions: _old, ...rest } = m;
  const v = m.Source !== undefined ? rendered?.volumes?.[m.Source] : undefined;
  if (!v) return rest;
  return { ...rest, VolumeOptions: { Labels: { ...v.labels }, DriverConfig: { Name: v.driver, Options: { ...v.options } } } };
}
