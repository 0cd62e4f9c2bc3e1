import type { ServiceSpec } from "../desired/types";

export type HookPhase = "preDeploy" | "postDeploy";

/**
 * What apply calls around a deploy (jobs/hooks.ts implements it with Swarm jobs): apply knows
 * when a hook is due, not how one runs. Each returns the failure message, or undefined when
 * every hook passed.
 */
export interface DeployHooks {
  has(site: string, phase: HookPhase): boolean;
  run(site: string, phase: HookPhase, web: ServiceSpec): Promise<string | undefined>;
  /**
   * After a failed postDeploy, for a site with `restoreOnFailure`: what was put back (web's
   * previous spec, the database of the preDeploy backup) or why it could not be; undefined
   * when the site did not ask for it.
   */
  recover?(site: string): Promise<string | undefined>;
}

