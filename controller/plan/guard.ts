import type { LiveState } from "../live/types";
import type { Plan } from "./types";

export interface MassDeletion {
  readonly removing: readonly string[];
  readonly running: number;
}

/**
 * An emptied checkout or a wrong branch looks like "remove every site". When a plan would
 * remove the services of more than half of the running sites, say so; apply refuses it
 * unless the operator confirms with --allow-mass-delete.
 */
export function massDeletion(plan: Plan, live: LiveState): MassDeletion | null {
  const running = new Set(live.services.filter((s) => s.site !== null).map((s) => s.site as string));
  const removing = plan.sites.filter((s) => s.state === "removed" && running.has(s.site)).map((s) => s.site);
  return removing.length > 0 && removing.length * 2 > running.size ? { removing, running: running.size } : null;
}
