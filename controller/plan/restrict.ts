import type { Plan } from "./types";

/** A plan limited to some sites (`apply --site`); the instance's shared objects always stay. */
export function restrictPlan(plan: Plan, sites: readonly string[]): Plan {
  if (sites.length === 0) return plan;
  const keep = new Set(sites);
  return {
    ...plan,
    actions: plan.actions.filter((a) => a.site === null || keep.has(a.site)),
    sites: plan.sites.filter((s) => keep.has(s.site)),
    warnings: plan.warnings.filter((w) => w.site === null || keep.has(w.site)),
  };
}
