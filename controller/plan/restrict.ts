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

/** A plan without some sites (other runs are changing them): their actions, outcomes and warnings go; the instance's shared objects stay. */
export function withoutSites(plan: Plan, sites: readonly string[]): Plan {
  if (sites.length === 0) return plan;
  const drop = new Set(sites);
  return {
    ...plan,
    actions: plan.actions.filter((a) => a.site === null || !drop.has(a.site)),
    sites: plan.sites.filter((s) => !drop.has(s.site)),
    warnings: plan.warnings.filter((w) => w.site === null || !drop.has(w.site)),
  };
}
