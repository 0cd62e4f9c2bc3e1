import { isMutation, Plan } from "./types";

/** The sites whose objects the plan changes, and whether it changes a shared object (site null). Pure. */
export function planChanges(plan: Plan): { sites: Set<string>; shared: boolean } {
  const sites = new Set<string>();
  let shared = false;
  for (const a of plan.actions) {
    if (!isMutation(a)) continue;
    if (a.site === null) shared = true;
    else sites.add(a.site);
  }
  return { sites, shared };
}
