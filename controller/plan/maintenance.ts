import { LABEL } from "../desired/labels";
import type { Labels } from "../desired/types";

/** What a maintenance hold label says: what holds the service, and until when. */
export interface MaintenanceHold {
  readonly what: string;
  readonly until: Date;
}

/** The label value that holds a service for `what` until `until`. Pure. */
export function maintenanceLabel(what: string, until: Date): string {
  return `${what} until ${until.toISOString()}`;
}

/**
 * The hold a service's labels carry, if it is still in force at `now`. A stale or unreadable
 * label holds nothing: a crashed restore must not keep a site down forever. Pure.
 */
export function activeHold(labels: Labels, now: number): MaintenanceHold | undefined {
  const value = labels[LABEL.maintenance];
  const m = value === undefined ? null : /^(.+) until (\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?Z)$/.exec(value);
  if (!m) return undefined;
  const until = new Date(m[2]!);
  return until.getTime() > now ? { what: m[1]!, until } : undefined;
}
