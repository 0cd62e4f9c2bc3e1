import type { Feature } from "../reconcile/feature";
import { environmentsToSeed, seedEnvironment, SeedOutcome } from "./seed";

export interface SeedFeature extends Feature {
  /** The environments the last apply created and seeded (or left empty, or failed to seed). */
  result(): readonly SeedOutcome[];
}

/**
 * `spec.environments[].seed` in a reconcile: after apply, each environment the plan created is
 * loaded from its source's latest backup (backup/seed.ts). Listed before routing, whose VCL
 * then follows the web tasks the restore restarted. One per reconcile.
 */
export function seedFeature(loadSwapScript: () => string): SeedFeature {
  const outcomes: SeedOutcome[] = [];
  return {
    name: "seed",
    async afterApply(docker, step, applied) {
      for (const decision of environmentsToSeed(step.plan, step.load.sites, step.desired, applied)) {
        const out = await seedEnvironment(docker, decision, step.cluster, { stateDir: step.stateDir, auth: step.auth, loadSwapScript: loadSwapScript(), log: step.log, ...(step.pollMs !== undefined ? { pollMs: step.pollMs } : {}) });
        const fields = { site: out.site, from: out.from, state: out.state };
        if (out.state === "failed") step.log.error(fields, out.message);
        else step.log.info(fields, out.state === "seeded" ? `audit: environment ${out.message}` : out.message);
        outcomes.push(out);
      }
    },
    result: () => outcomes,
  };
}
