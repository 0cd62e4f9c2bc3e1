import { compareSlots, describeSlot, SyncSlot } from "./sync";
import type { Action, Change, Plan } from "./types";

/** Each action's mark in the plan's text, as terraform marks them. */
export const ACTION_SYMBOL: Record<Action["op"], string> = { create: "+", update: "~", delete: "-", retain: "=", hook: "!", hold: "#" };
const VERB: Record<Action["op"], string> = {
  create: "will be created",
  update: "will be updated in place",
  delete: "will be removed",
  retain: "is kept (data is never deleted implicitly)",
  hook: "runs its postDeploy hooks (owed by an update applied before the controller stopped)",
  hold: "is held: not changed until the hold ends",
};

/**
 * The plan for people, grouped by site, in the manner of `terraform plan`; within a site, each
 * phase and wave (plan/sync.ts) heads the actions apply runs in it.
 */
export function renderPlanText(plan: Plan): string {
  const lines: string[] = [];
  const groups = new Map<string, Action[]>();
  for (const a of plan.actions) {
    const g = a.site ?? `(instance ${plan.instance})`;
    groups.set(g, [...(groups.get(g) ?? []), a]);
  }
  for (const s of plan.sites) {
    if (s.state === "suspended") lines.push(`site ${s.site}: suspended (spec.suspend: true), left as it runs`);
    if (s.state === "invalid") lines.push(`site ${s.site}: manifest invalid, left as it runs`);
  }
  for (const [group, actions] of groups) {
    if (lines.length > 0) lines.push("");
    lines.push(group.startsWith("(") ? group : `site ${group}`);
    let slot: SyncSlot | undefined;
    for (const a of actions) {
      if (!slot || compareSlots(slot, a) !== 0) lines.push(`  [${describeSlot(a)}]`);
      slot = a;
      const why =
        a.op === "update" && a.held
          ? ` (held: Swarm rolled this spec back${a.heldReason ? `: ${a.heldReason}` : ""}; retried by apply --retry-failed or a changed manifest)`
          : a.op === "update" && a.drift
            ? " (drift: changed outside simulium, will be put back)"
            : reasonText(a);
      lines.push(`  ${ACTION_SYMBOL[a.op]} ${a.kind} ${a.name} ${VERB[a.op]}${why}`);
      for (const c of a.changes) lines.push(`      ${renderChange(c)}`);
    }
  }
  for (const w of plan.warnings) lines.push(`warning: ${w.name}: ${w.message}`);
  lines.push("", summaryLine(plan));
  return lines.join("\n") + "\n";
}

export function renderChange(c: Change): string {
  if (c.op === "+") return `+ ${c.field}${c.after !== undefined ? `: ${c.after}` : ""}`;
  if (c.op === "-") return `- ${c.field}${c.before !== undefined ? ` (was ${c.before})` : ""}`;
  // The same tag pushed again: the new digest alone says what changed.
  const at = c.field === "image" && c.after !== undefined ? c.after.indexOf("@") : -1;
  if (at > 0 && c.before?.startsWith(c.after?.slice(0, at + 1) ?? "")) return `~ image: ${c.before} → ${c.after?.slice(at + 1)}`;
  return `~ ${c.field}: ${c.before} → ${c.after}`;
}

function reasonText(a: Action): string {
  if (a.op === "retain" && a.reason === "moved-away") return ` (on node ${a.node ?? "?"}, where simulium move copied the site from: remove it there when no longer needed)`;
  if (a.op === "delete" || a.op === "retain") return ` (${a.reason.replace(/-/g, " ")})`;
  if (a.op === "hold") return ` (${a.what} in progress until ${a.until})`;
  return "";
}

export function summaryLine(plan: Plan): string {
  const count = (op: Action["op"]) => plan.actions.filter((a) => a.op === op).length;
  const [c, u, d, r, h, held] = [count("create"), count("update"), count("delete"), count("retain"), count("hook"), count("hold")];
  const holds = held ? ` ${held} service(s) held.` : "";
  if (c + u + d + h === 0) return `No changes. The swarm matches the manifests.${r ? ` ${r} object(s) retained.` : ""}${holds}`;
  return `Plan: ${c} to create, ${u} to update, ${d} to remove, ${r} retained.${h ? ` ${h} pending hook(s) to run.` : ""}${holds}`;
}

/** The plan for machines: `{"actions": [...], "errors": [...]}`; specs stay out (they are inputs). */
export function planToJson(plan: Plan): object {
  return {
    instance: plan.instance,
    actions: plan.actions.map((a) => ({
      op: a.op,
      kind: a.kind,
      site: a.site,
      name: a.name,
      changes: a.changes,
      phase: a.phase,
      wave: a.wave,
      ...(a.op === "update" ? { drift: a.drift, held: a.held } : {}),
      ...(a.op === "delete" || a.op === "retain" ? { reason: a.reason } : {}),
      ...(a.op === "retain" && a.node !== undefined ? { node: a.node } : {}),
      ...(a.op === "hold" ? { what: a.what, until: a.until } : {}),
    })),
    sites: plan.sites,
    warnings: plan.warnings,
    errors: plan.errors.map((e) => ({ file: e.file, line: e.line, column: e.column, path: e.path, message: e.message })),
  };
}
