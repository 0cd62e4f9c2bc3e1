import type { Action, Plan } from "../../../controller/plan/types";

/** `op kind name` per action, in plan order: the plan at a glance. */
export const summary = (plan: Plan): string[] => plan.actions.map((a) => `${a.op} ${a.kind} ${a.name}`);

export function only(plan: Plan, predicate: (a: Action) => boolean = () => true): Action {
  const found = plan.actions.filter(predicate);
  if (found.length !== 1) throw new Error(`expected one action, got: ${found.map((a) => `${a.op} ${a.kind} ${a.name}`).join(", ") || "none"}`);
  return found[0] as Action;
}

export const stateOf = (plan: Plan, site: string): string | undefined => plan.sites.find((s) => s.site === site)?.state;
