import type { Feature } from "../reconcile/feature";
import { routeAfterApply } from "../routing/after-apply";
import type { RoutingView } from "../routing/gate";
import { StateStore } from "../state/store";
import { accountKey } from "../state/tls-store";
import { certValueLookup, knownCerts } from "./certs";
import { deliverCertificates } from "./deliver-run";
import { renderTlsResources } from "./render";
import { AcmeControllerOptions, renewCertificates, SiteTlsOutcome, sitesDue } from "./renew";

export interface TlsFeature extends Feature {
  /** What the orders of this reconcile did, per site (both passes); empty when none was due. */
  result(): readonly SiteTlsOutcome[];
}

/**
 * HTTPS in a reconcile (docs/tls.md): the terminator and the certificates it serves are
 * rendered from the state directory (and the sites' own certificates); after apply and
 * routing, the certificates are delivered to the terminator's running tasks, then the
 * controller holding the instance lock orders what is due, and a new certificate makes the
 * reconcile run once more to roll it out. One per reconcile.
 */
export function tlsFeature(controller: AcmeControllerOptions = {}, view?: RoutingView): TlsFeature {
  const outcomes: SiteTlsOutcome[] = [];
  return {
    name: "tls",
    desired({ cluster, load, store, siteValues }) {
      const known = knownCerts(cluster, load, store, new Date(), siteValues);
      const resources = renderTlsResources(cluster, known.certs);
      return { resources, secretValue: certValueLookup(resources, known.certs), warnings: known.warnings };
    },
    // The certificates reach the running terminator tasks in place (deliver.ts): no restart.
    async afterApply(docker, step) {
      const deliver = () => deliverCertificates(docker, { cluster: step.cluster, desired: step.desired, stateDir: step.stateDir, log: step.log, pollMs: step.pollMs });
      // Runs side by side deliver one at a time, like their VCL loads: two jobs never write one task's certificates at once.
      await (view ? view.load(deliver) : deliver());
    },
    locked: {
      wants: (step) => sitesDue(step.cluster, step.load.sites, new StateStore(step.stateDir, step.cluster.instance, "read-only"), new Date()).length > 0,
      async run(docker, step) {
        const store = new StateStore(step.stateDir, step.cluster.instance, "read-write");
        // The account first, then the VCL that answers its challenges (its thumbprint), then the orders.
        accountKey(store);
        await routeAfterApply(docker, { cluster: step.cluster, sites: step.load.sites, invalidSites: step.load.invalidSites, stateDir: step.stateDir, log: step.log, pollMs: step.pollMs, ...(view ? { view } : {}) });
        const done = await renewCertificates({ cluster: step.cluster, sites: step.load.sites, store, log: step.log, controller });
        outcomes.push(...done);
        return { again: done.some((o) => o.issued !== undefined) };
      },
    },
    result: () => outcomes,
  };
}
