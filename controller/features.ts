import type Docker from "dockerode";
import { accessFeature } from "./access/feature";
import { backupFeature } from "./backup/feature";
import { backupHooks } from "./backup/hook";
import { loadAndSwapScript } from "./database/load-swap";
import { seedFeature } from "./backup/seed-feature";
import type { SeedOutcome } from "./backup/seed";
import { hooksFeature } from "./jobs/feature";
import { Feature, siteParts } from "./reconcile/feature";
import { renderSite } from "./desired/render";
import type { SitePin } from "./desired/placement";
import type { ResourceSpec } from "./desired/types";
import type { ResolvedCluster, ResolvedSite } from "./manifests/types";
import { PipelineOptions, PlanContext, planRepoWith } from "./reconcile/pipeline";
import { reconcileWith, ReconcileOptions, ReconcileOutcome } from "./reconcile/reconcile";
import { routingFeature } from "./routing/feature";
import type { RoutingView } from "./routing/gate";
import type { RoutingResult } from "./routing/sync";
import { tlsFeature } from "./tls/feature";
import type { AcmeControllerOptions, SiteTlsOutcome } from "./tls/renew";

/**
 * The features every reconcile runs with, the one list the CLI and the daemon share. The core
 * (reconcile/, and below it manifests, desired, plan, apply) imports none of them; a new
 * feature implements reconcile/feature.ts in its own folder and is added here.
 */
export interface FeatureOptions {
  /** Accept a restic password in the state directory that differs from the swarm's (a rotation on purpose). */
  readonly acceptResticPasswordChange?: boolean;
  /** The operator's ACME settings (DNS-01 hook, external account binding): flags, never the manifests. */
  readonly acme?: AcmeControllerOptions;
  /** This run's way to Varnish when runs go side by side (the daemon, routing/gate.ts). */
  readonly routing?: RoutingView;
}

export interface Features {
  readonly all: readonly Feature[];
  /** What routing did after the apply. */
  routing(): RoutingResult | null;
  /** The certificates ordered in this reconcile (HTTPS). */
  tls(): readonly SiteTlsOutcome[];
  /** The environments created and seeded in this reconcile (spec.environments[].seed). */
  seeds(): readonly SeedOutcome[];
}

export function standardFeatures(opts: FeatureOptions = {}): Features {
  const routing = routingFeature(opts.routing);
  const hooks = hooksFeature((docker, step) =>
    backupHooks(docker, { cluster: step.cluster, sites: step.load.sites, desired: step.desired, stateDir: step.stateDir, commit: step.commit, auth: step.auth, log: step.log, loadSwapScript: loadAndSwapScript() }),
  );
  const tls = tlsFeature(opts.acme, opts.routing);
  const seed = seedFeature(loadAndSwapScript);
  // seed before routing: the restore restarts the environment's web, the VCL follows its new tasks.
  // tls after routing: its orders need the VCL of the new state (the sites' domains routed).
  return {
    all: [accessFeature(), backupFeature({ acceptPasswordChange: opts.acceptResticPasswordChange }), hooks, seed, routing, tls],
    routing: () => routing.result(),
    tls: () => tls.result(),
    seeds: () => seed.result(),
  };
}

/** One site's objects as a reconcile renders them, the features' parts with them (`simulium credentials` reads phpMyAdmin's). */
export function renderSiteWithFeatures(site: ResolvedSite, cluster: ResolvedCluster, pin?: SitePin): ResourceSpec[] {
  return renderSite(site, cluster, pin, siteParts(standardFeatures().all));
}

export interface Reconciled extends ReconcileOutcome {
  /** The VCL pushed to Varnish after the apply; null when no Varnish is configured. */
  readonly routing: RoutingResult | null;
  /** Certificates ordered in this reconcile, per site; empty when none was due. */
  readonly tls: readonly SiteTlsOutcome[];
  /** Environments created with `seed` in this reconcile, and what their seeding did. */
  readonly seeds: readonly SeedOutcome[];
}

/** reconcile/reconcile.ts's loop with the standard features. */
export async function reconcile(docker: Docker, repoDir: string, opts: ReconcileOptions & FeatureOptions): Promise<Reconciled> {
  const features = standardFeatures(opts);
  const out = await reconcileWith(docker, repoDir, features.all, opts);
  return { ...out, routing: features.routing(), tls: features.tls(), seeds: features.seeds() };
}

/** The plan the reconcile would apply (`simulium plan`, `status`). */
export function planRepo(docker: Docker, repoDir: string, opts: PipelineOptions & FeatureOptions = {}): Promise<PlanContext> {
  return planRepoWith(docker, repoDir, standardFeatures(opts).all, opts);
}
