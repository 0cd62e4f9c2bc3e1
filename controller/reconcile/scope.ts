import type { Plan } from "../plan/types";

/**
 * What a reconcile may change when other reconciles run beside it in the same process (the
 * daemon applies a site's change while another site rolls out). The core asks, the daemon
 * decides (daemon/claims.ts). Without a scope (the CLI) a reconcile changes its whole plan.
 */
export type Admission =
  /** The whole plan. */
  | { readonly kind: "all" }
  /** The plan without these sites (other runs are changing them): their actions, outcomes and warnings are left out. */
  | { readonly kind: "except"; readonly sites: readonly string[] }
  /** Nothing now: a later run does it. */
  | { readonly kind: "defer"; readonly why: string }
  /** The plan is stale (another run changed the swarm while this one waited): plan again. */
  | { readonly kind: "replan" };

export interface RunScope {
  /**
   * A pass starts planning (before it reads the swarm): runs that started later wait to see what
   * this one takes, and a run that ends from now on makes this plan stale (admit says replan).
   * Answers the sites a later run (a newer commit) has changed: left out of this pass's plan
   * from the start, so the mass-deletion guard and a confirmation see the plan it may apply.
   */
  planning(): readonly string[];
  /** Given the plan the pass would apply (made under the lock when it changes anything). */
  admit(plan: Plan): Promise<Admission>;
  /** The pass is done with what it was admitted to (applied, hooks run, routing loaded). */
  done(): void;
  /** The features' locked steps (certificate orders) run only in a run that may change everything. */
  readonly lockedSteps: boolean;
}
