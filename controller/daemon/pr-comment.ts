import type { ManifestError } from "../manifests/types";
import { ACTION_SYMBOL, renderChange, summaryLine } from "../plan/render";
import type { Action, Change, Plan } from "../plan/types";

/**
 * The plan of a pull request's head as one comment on the pull request, in the manner of
 * Atlantis: a hidden marker names it as this instance's, so each push edits it in place and
 * it is never posted twice (forge-comments.ts does the I/O). Pure.
 *
 * What a comment may hold: the plan's actions and changes (which never carry a secret value,
 * plan/types.ts), manifest errors with file:line, and the previews' URLs. Environment values
 * are shown by name only: a value the live swarm holds may have been set by hand, and the
 * pull request's readers are not the operator. As a last guard every value the caller knows
 * to be secret is cut out of the text.
 */

/** GitHub refuses comments over 65536 characters; GitLab's limit is higher. */
export const MAX_COMMENT_CHARS = 60_000;

export function planCommentMarker(instance: string): string {
  return `<!-- simulium-plan:${instance} -->`;
}

export interface CommentPreview {
  /** The production site previewed. */
  readonly site: string;
  readonly state: "deploying" | "ready" | "waiting" | "removed" | "refused";
  readonly url?: string;
  readonly detail?: string;
}

export interface PlanCommentInput {
  readonly instance: string;
  readonly headSha: string;
  /** Absent when no plan could be made (`failure` says why). */
  readonly plan?: Plan;
  /** validate's errors at the head (file:line), the plan's own included. */
  readonly errors: readonly ManifestError[];
  readonly failure?: string;
  readonly previews: readonly CommentPreview[];
  /** Problems of the preview decision that are not a single site's (previews not configured, the limit). */
  readonly notes?: readonly string[];
  /** Values cut out of the text wherever they appear (secret values the plan's context knows). */
  readonly secrets?: readonly string[];
  readonly at: string;
  /** The daemon's page of this head's full plan (--dashboard-url); without it, the CLI is named. */
  readonly planUrl?: string;
}

export function renderPlanComment(input: PlanCommentInput): string {
  const head = input.headSha.slice(0, 12);
  const lines: string[] = [planCommentMarker(input.instance), `### simulium plan · instance \`${code(input.instance)}\` · head \`${head}\``, ""];
  if (input.failure !== undefined) lines.push(`**No plan:** the head could not be planned.`, "", ...fenced([input.failure]), "");
  if (input.errors.length > 0) {
    lines.push(`**${input.errors.length} manifest error${input.errors.length === 1 ? "" : "s"}** (\`simulium validate\` at the head; an invalid site is left as it runs):`, "");
    lines.push(...fenced(input.errors.map(errorLine)), "");
  }
  if (input.plan) lines.push(...planSection(input.plan));
  if (input.previews.length > 0 || (input.notes ?? []).length > 0) {
    lines.push("", "**Previews**", "");
    for (const p of input.previews) lines.push(`- ${previewLine(p)}`);
    for (const n of input.notes ?? []) lines.push(`- ${inline(n)}`);
  }
  const full = input.planUrl !== undefined ? `[on the daemon's page](${input.planUrl})` : "\`simulium plan\` at this commit";
  lines.push("", `<sub>Updated in place on every push (last: ${head} at ${input.at}). The full plan: ${full}.</sub>`);
  // A value may reach the text escaped by inline(): cut out both forms.
  const secrets = (input.secrets ?? []).flatMap((v) => [v, inline(v)]);
  return capLength(scrub(lines.join("\n") + "\n", secrets), MAX_COMMENT_CHARS);
}

function planSection(plan: Plan): string[] {
  const out: string[] = [];
  const bySite = new Map<string, Action[]>();
  for (const a of plan.actions) {
    const key = a.site ?? "";
    bySite.set(key, [...(bySite.get(key) ?? []), a]);
  }
  for (const s of plan.sites) {
    if (s.state === "invalid") out.push(`- site \`${code(s.site)}\`: manifest invalid, left as it runs`);
    if (s.state === "suspended") out.push(`- site \`${code(s.site)}\`: suspended, left as it runs`);
  }
  if (out.length > 0) out.push("");
  for (const [site, actions] of bySite) {
    out.push(site === "" ? `**instance \`${code(plan.instance)}\`** (shared objects)` : `**site \`${code(site)}\`**`, "");
    out.push(...fenced(actions.flatMap(actionLines), "diff"), "");
  }
  for (const w of plan.warnings) out.push(`- warning: ${inline(`${w.name}: ${w.message}`)}`);
  out.push(`**${summaryLine(plan)}**`);
  return out;
}

const VERB: Record<Action["op"], string> = {
  create: "created",
  update: "updated in place",
  delete: "removed",
  retain: "kept (data is never deleted implicitly)",
  hook: "runs its owed postDeploy hooks",
  hold: "held: not changed until the hold ends",
};

function actionLines(a: Action): string[] {
  const why = a.op === "update" && a.drift ? " (drift: changed outside simulium, put back)" : a.op === "delete" || a.op === "retain" ? ` (${a.reason.replace(/-/g, " ")})` : "";
  return [`${ACTION_SYMBOL[a.op]} ${a.kind} ${a.name} ${VERB[a.op]}${why}`, ...a.changes.map((c) => `    ${changeText(c)}`)];
}

/** An environment variable by name only: its live value may have been set by hand. */
export function changeText(c: Change): string {
  if (!c.field.startsWith("env.")) return renderChange(c);
  return `${c.op} ${c.field}${c.op === "~" ? " (value changed)" : ""}`;
}

function errorLine(e: ManifestError): string {
  const at = e.line > 0 ? `${e.file}:${e.line}${e.column > 0 ? `:${e.column}` : ""}` : e.file;
  return `${at}: ${e.path ? `${e.path}: ` : ""}${e.message}`;
}

function previewLine(p: CommentPreview): string {
  const site = `\`${code(p.site)}\``;
  if (p.state === "ready" && p.url) return `${site}: ready at ${p.url}`;
  if (p.state === "deploying") return `${site}: deploying${p.url ? ` (${p.url} once it runs)` : ""}`;
  if (p.state === "removed") return `${site}: preview removed`;
  return `${site}: ${p.state}${p.detail ? `: ${inline(p.detail)}` : ""}`;
}

/**
 * Text from manifests in a code block: the fence is longer than any run of backticks in it,
 * so nothing a manifest says can close it and write markdown (a link, a fake approval) in our name.
 */
function fenced(lines: readonly string[], lang = ""): string[] {
  const longest = Math.max(2, ...lines.map((l) => Math.max(0, ...[...l.matchAll(/`+/g)].map((m) => m[0].length))));
  const fence = "`".repeat(longest + 1);
  return [`${fence}${lang}`, ...lines, fence];
}

/** Inline text from manifests: no markup, no HTML, one line. */
function inline(text: string): string {
  return text.replace(/[\r\n]+/g, " ").replace(/[<>`*_[\]|\\]/g, (c) => `\\${c}`);
}

/** A name inside single backticks. */
function code(text: string): string {
  return text.replace(/[`\r\n]/g, "");
}

/** Every occurrence of a known secret value (4 characters or more) becomes `[redacted]`. */
export function scrub(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const s of [...secrets].filter((v) => v.length >= 4).sort((a, b) => b.length - a.length)) out = out.split(s).join("[redacted]");
  return out;
}

/** Cut at a line, and say so: a comment the forge refuses would leave the last one standing, stale. */
function capLength(text: string, max: number): string {
  if (text.length <= max) return text;
  const note = "\n\n… (cut: the plan is longer than a comment may be; run `simulium plan` at this commit for all of it)\n";
  const cut = text.lastIndexOf("\n", max - note.length - 10);
  const body = text.slice(0, cut > 0 ? cut : max - note.length - 10);
  // An open code fence would swallow the note.
  const fences = [...body.matchAll(/^(`{3,}).*$/gm)].map((m) => m[1] ?? "```");
  const open = fences.length % 2 === 1 ? fences[fences.length - 1] : undefined;
  return `${body}${open !== undefined ? `\n${open}` : ""}${note}`;
}
