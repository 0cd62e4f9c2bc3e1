import type { Feature } from "../reconcile/feature";
import { planChanges } from "../plan/changes";
import { routeAfterApply } from "./after-apply";
import { creditFollowed, followRouting, RoutingFollower } from "./follow";
import type { RoutingView } from "./gate";
import type { RoutingResult } from "./sync";

export interface RoutingFeature extends Feature {
  /** What the sync after the last apply did; null when no Varnish is configured (or before an apply). */
  result(): RoutingResult | null;
}

/**
 * Routing in a reconcile: the VCL follows the tasks while apply waits (routing/follow.ts), and
 * after apply it is loaded for the new state (routing/after-apply.ts). One per reconcile: it
 * keeps what the follower loaded to credit the final sync with it.
 */
export function routingFeature(view?: RoutingView): RoutingFeature {
  let follower: RoutingFollower | null = null;
  let result: RoutingResult | null = null;
  return {
    name: "routing",
    follow(docker, step) {
      // This run applies these manifests to the sites its plan changes: routing renders those sites from them until a later run changes them.
      view?.admit({ cluster: step.cluster, sites: step.load.sites, invalidSites: step.load.invalidSites }, planChanges(step.plan).sites);
      follower = followRouting(docker, { cluster: step.cluster, sites: step.load.sites, invalidSites: step.load.invalidSites, stateDir: step.stateDir, log: step.log, ...(view ? { view } : {}) });
      return follower?.onProgress;
    },
    async afterApply(docker, step) {
      // Nothing of this run's routing goes on past it.
      await follower?.settled();
      const routed = await routeAfterApply(docker, {
        cluster: step.cluster,
        sites: step.load.sites,
        invalidSites: step.load.invalidSites,
        stateDir: step.stateDir,
        log: step.log,
        pollMs: step.pollMs,
        ...(view ? { view } : {}),
      });
      result = creditFollowed(routed, follower);
    },
    result: () => result,
  };
}
