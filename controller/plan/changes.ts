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

/**
 * The sites of `sites` to which the plan gives something another site may still hold: a new
 * service (a new site's web, a tool), a domain added, a published port added. Moving a domain
 * from X to Y changes both; with X still rolling out from the older commit, routing Y's new
 * domain meanwhile names it twice (no VCL loads) and a port moved to Y's tool is still
 * taken. Pure.
 */
export function claimsFromOthers(plan: Plan, sites: ReadonlySet<string>): string[] {
  const out = new Set<string>();
  for (const a of plan.actions) {
    if (a.site === null || !sites.has(a.site) || !isMutation(a)) continue;
    if (a.op === "create" && a.kind === "service") out.add(a.site);
    else if (a.changes.some((c) => c.op === "+" && /^(domains|ports)\[/.test(c.field))) out.add(a.site);
  }
  return [...out].sort();
}
