import type Docker from "dockerode";
import type { ApplyResult } from "../apply/apply";
import type { DeployHooks } from "../apply/deploy-hooks";
import type { SitePart } from "../desired/render";
import type { DesiredState, ResourceSpec } from "../desired/types";
import type { AuthLookup } from "../engine/registry-auth";
import type { LiveState } from "../live/types";
import type { Logger } from "../log";
import type { LoadResult, ResolvedCluster } from "../manifests/types";
import type { Plan } from "../plan/types";
import type { ControllerSecret } from "../state/controller-secret";
import type { StateStore } from "../state/store";

/**
 * How a feature (routing, backups, deploy hooks, ...) takes part in a reconcile. The core
 * (manifests → desired → plan → apply, and this loop) defines it and imports no feature: the
 * CLI and the daemon hand the reconciler the list (controller/features.ts). Every member is
 * optional; a feature implements the steps it has.
 */
export interface Feature {
  /** For logs and errors. */
  readonly name: string;
  /** Instance objects the feature needs, rendered into the desired state with the sites'. */
  desired?(input: DesiredInput): DesiredContribution;
  /** Its part of every site's objects (access: phpMyAdmin, SSH, SFTP), rendered with the site's own. Pure. */
  readonly site?: SitePart;
  /**
   * An instance-wide refusal, before anything changes (pure): the error thrown, e.g. a restic
   * password that would make every backup unreadable. undefined lets the plan go on.
   */
  refuse?(desired: DesiredState, live: LiveState): Error | undefined;
  /** What the plan should tell the operator (pure). */
  warnings?(load: LoadResult, cluster: ResolvedCluster): Plan["warnings"];
  /** What runs around a deploy (preDeploy, postDeploy): one feature at most provides them. */
  deployHooks?(docker: Docker, step: StepContext): DeployHooks;
  /** Called with every live state apply reads while it waits for convergence. */
  follow?(docker: Docker, step: StepContext): ((live: LiveState) => Promise<void>) | undefined;
  /** A step after apply (routing: the VCL for the new tasks); `applied` says how each site's actions went. */
  afterApply?(docker: Docker, step: StepContext, applied: ApplyResult): Promise<void>;
  /**
   * A step after the others that needs the instance lock (HTTPS: ordering certificates): the
   * lock is taken for it when the plan changed nothing and `wants` (read-only) says there is
   * work. `again: true` when it changed what the desired state renders from: the reconcile then
   * runs once more.
   */
  readonly locked?: {
    wants(step: StepContext): boolean;
    run(docker: Docker, step: StepContext): Promise<{ readonly again: boolean }>;
  };
}

export interface DesiredInput {
  readonly cluster: ResolvedCluster;
  readonly live: LiveState;
  /** The controller's state directory, opened read-only for `plan` and `status`, read-write for apply. */
  readonly store: StateStore;
  /** simulium.yaml's sealed values (bound to the cluster scope), by setting name. */
  readonly clusterValues: ReadonlyMap<string, Buffer>;
  /** The manifests as loaded and unsealed. */
  readonly load: LoadResult;
  /** The sites' sealed values, by `site/name` (sealing/unseal-sites.ts). */
  readonly siteValues: ReadonlyMap<string, Buffer>;
}

export interface DesiredContribution {
  readonly resources: readonly ResourceSpec[];
  /** The values of the secrets among `resources` (for apply only, never printed), by Swarm secret name. */
  readonly secretValue?: (secretName: string) => Buffer | undefined;
  /** The controller secrets (state/controller-secret.ts) the resources are rendered from. */
  readonly controllerSecrets?: readonly (ControllerSecret | undefined)[];
  /** What the plan should tell the operator about these objects (a certificate refused before rollout). */
  readonly warnings?: Plan["warnings"];
}

/** What one apply's steps see. */
export interface StepContext {
  readonly load: LoadResult;
  readonly cluster: ResolvedCluster;
  readonly desired: DesiredState;
  /** The plan this apply runs (what it creates: an environment's seed, backup/seed.ts). */
  readonly plan: Plan;
  readonly secretValue: (secretName: string) => Buffer | undefined;
  readonly stateDir: string;
  readonly commit: string;
  readonly auth: AuthLookup;
  readonly log: Logger;
  readonly pollMs?: number;
}

/** The features' parts of every site, in the features' order. */
export function siteParts(features: readonly Feature[]): SitePart[] {
  return features.flatMap((f) => (f.site ? [f.site] : []));
}
