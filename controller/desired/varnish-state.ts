import type { ResolvedCluster } from "../manifests/types";
import { shortHash } from "./hash";
import { LABEL } from "./labels";
import type { ServiceMount, VolumeSpec } from "./types";

/**
 * Where a Varnish task keeps the last VCL the controller made active, so that a task started
 * while no controller runs (a crash, a node reboot, a rescheduled task) routes as before instead
 * of answering 503 to everything. The image's side of the contract: it saves the active VCL
 * under this path when it changes and loads it at start if it compiles (docs/images.md, "What the
 * images receive"). A named volume rather than a Swarm config: a config is immutable, so a new
 * VCL would mean a new config and a service update, which restarts Varnish and empties its
 * cache on every site's every deploy.
 */
export const VARNISH_STATE_PATH = "/var/lib/simulium-vcl";

export function varnishStateVolumeName(instance: string): string {
  return `${instance}_varnish-state`;
}

/** Derived data only (a copy of what the controller renders), yet kept on removal like any volume not owned by a site. */
export function varnishStateVolume(cluster: ResolvedCluster): VolumeSpec {
  const spec = { driver: cluster.volumes.driver, options: cluster.volumes.options };
  return {
    kind: "volume",
    site: null,
    name: varnishStateVolumeName(cluster.instance),
    ...spec,
    labels: {
      [LABEL.instance]: cluster.instance,
      [LABEL.stackNamespace]: cluster.instance,
      [LABEL.role]: "varnish-state",
      [LABEL.deletionPolicy]: "Retain",
      [LABEL.specHash]: shortHash(spec),
    },
  };
}

export function varnishStateMount(instance: string): ServiceMount {
  return { source: varnishStateVolumeName(instance), target: VARNISH_STATE_PATH, readOnly: false };
}
