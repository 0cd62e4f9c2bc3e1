import type { SiteEvent } from "./site-events";
import type { StoredPlan } from "./plan-store";

/**
 * The dashboard's HTML, rendered on the server from plain data (pure: the same view gives the
 * same bytes). Every value that comes from a manifest, a commit or a job's output is escaped:
 * site names, commit subjects and authors, hook output and domains are attacker-controlled.
 * The pages work without JavaScript; /dashboard/app.js only swaps in a fresh <main> now and then.
 */

export interface DashboardRun {
  readonly startedAt: string;
  readonly durationSeconds: number;
  readonly result: string;
  readonly exitCode: number | null;
  readonly output: string;
}

export interface DashboardCron {
  readonly name: string;
  readonly schedule: string;
  /** Newest first. */
  readonly runs: readonly DashboardRun[];
}

export interface DashboardSite {
  readonly site: string;
  readonly state: string;
  readonly lastError: string | null;
  readonly domains: readonly string[];
  /** The commit the site's services run; subject and author when the source knows the sha. */
  readonly commit: { readonly sha: string; readonly subject: string | null; readonly author: string | null; readonly url: string | null } | null;
  readonly routing?: { readonly healthy: number; readonly sick: number; readonly tasks: number; readonly sickTasks: number };
  readonly lastDeployAt: string | null;
  readonly backup: { readonly at: string; readonly ok: boolean; readonly message: string } | null;
  /** The backup schedule's own runs (newest first), for the site page. */
  readonly backupRuns: readonly DashboardRun[];
  readonly crons: readonly DashboardCron[];
  /**
   * The TLS hook: the certificate's expiry when the site serves HTTPS (undefined when TLS is not
   * known to the daemon at all; the column only shows when some site has one).
   */
  readonly certificate?: { readonly notAfter: string } | null;
  /** The last uptime probe through Varnish, when probes run. */
  readonly uptime?: { readonly up: boolean; readonly seconds: number | null; readonly checkedAt: string; readonly error: string | null } | null;
  readonly history: readonly SiteEvent[];
}

export interface DashboardView {
  readonly instance: string | null;
  /** ISO 8601: when the view was taken; ages are counted from it. */
  readonly now: string;
  readonly commit: { readonly sha: string; readonly subject: string; readonly author: string } | null;
  readonly lastRun: { readonly at: string; readonly ok: boolean; readonly error: string | null } | null;
  readonly sites: readonly DashboardSite[];
}

/** Seconds between refreshes of the page's <main> (app.js reads it from the page). */
export const REFRESH_SECONDS = 5;

const STATES = new Set(["converged", "degraded", "progressing", "failed", "retained", "drifted", "suspended", "invalid", "pending"]);

export function escapeHtml(value: string): string {
  return value.replace(/[&<>"'`]/g, (c) => `&#${c.charCodeAt(0)};`);
}

export function sitePath(site: string): string {
  return `/dashboard/site/${encodeURIComponent(site)}`;
}

/** The whole fleet page. */
export function renderFleetPage(view: DashboardView): string {
  return page(view.instance === null ? "simulium" : `simulium · ${view.instance}`, "/dashboard", renderFleetMain(view));
}

/** The <main> content of the fleet page: what app.js swaps in on each refresh. */
export function renderFleetMain(view: DashboardView): string {
  const tls = view.sites.some((s) => s.certificate !== undefined);
  const uptime = view.sites.some((s) => s.uptime !== undefined);
  const counts = new Map<string, number>();
  for (const s of view.sites) counts.set(s.state, (counts.get(s.state) ?? 0) + 1);
  const summary = [...counts].sort(([a], [b]) => a.localeCompare(b)).map(([state, n]) => `<li>${stateBadge(state)} ${n}</li>`).join("");
  const head = [
    "Site",
    "State",
    ...(uptime ? ["Up"] : []),
    "Domains",
    "Commit",
    "Varnish backends",
    "Last deploy",
    "Last backup",
    "Last cron runs",
    ...(tls ? ["Certificate"] : []),
  ];
  const rows = view.sites.map((s) => fleetRow(s, view.now, tls, uptime)).join("\n");
  return [
    overview(view),
    `<ul class="counts" aria-label="sites by state">${summary}</ul>`,
    `<div class="scroll"><table class="fleet">`,
    `<caption>${view.sites.length} site${view.sites.length === 1 ? "" : "s"}</caption>`,
    `<thead><tr>${head.map((h) => `<th scope="col">${h}</th>`).join("")}</tr></thead>`,
    `<tbody>`,
    rows === "" ? `<tr><td colspan="${head.length}">No site yet.</td></tr>` : rows,
    `</tbody></table></div>`,
  ].join("\n");
}

/** A site's page: the same facts as its row, then its history. */
export function renderSitePage(view: DashboardView, site: DashboardSite): string {
  return page(`${site.site} · simulium`, sitePath(site.site), renderSiteMain(view, site));
}

export function renderSiteMain(view: DashboardView, s: DashboardSite): string {
  const facts: [string, string][] = [
    ["State", `${stateBadge(s.state)}${s.lastError ? ` <span class="error">${escapeHtml(s.lastError)}</span>` : ""}`],
    ...(s.uptime !== undefined ? [["Up", uptimeCell(s.uptime)] as [string, string]] : []),
    ["Domains", domainsCell(s.domains, s.certificate)],
    ["Commit", commitCell(s.commit)],
    ["Varnish backends", routingCell(s.routing)],
    ["Last deploy", timeCell(s.lastDeployAt, view.now)],
    ["Last backup", backupCell(s.backup, view.now)],
    ...(s.certificate !== undefined ? [["Certificate", certificateCell(s.certificate, view.now)] as [string, string]] : []),
  ];
  const events = s.history.map((e) => historyRow(e, view.now)).join("\n");
  const jobs = [
    ...s.crons.flatMap((c) => c.runs.map((r) => ({ what: `cron ${c.name}`, run: r }))),
    ...s.backupRuns.map((r) => ({ what: "backup", run: r })),
  ].sort((a, b) => b.run.startedAt.localeCompare(a.run.startedAt));
  return [
    `<p><a href="/dashboard">← all sites</a></p>`,
    `<h2>${escapeHtml(s.site)}</h2>`,
    `<dl class="facts">${facts.map(([k, v]) => `<dt>${k}</dt><dd>${v}</dd>`).join("")}</dl>`,
    `<h3>History</h3>`,
    `<div class="scroll"><table class="history"><thead><tr><th scope="col">When</th><th scope="col">What</th><th scope="col">Detail</th></tr></thead><tbody>`,
    events === "" ? `<tr><td colspan="3">Nothing recorded since the daemon started.</td></tr>` : events,
    `</tbody></table></div>`,
    `<h3>Cron and backup runs</h3>`,
    `<div class="scroll"><table class="runs"><thead><tr><th scope="col">When</th><th scope="col">Job</th><th scope="col">Result</th><th scope="col">Output</th></tr></thead><tbody>`,
    jobs.length === 0 ? `<tr><td colspan="4">No run since the daemon started.</td></tr>` : jobs.map((j) => runRow(j.what, j.run, view.now)).join("\n"),
    `</tbody></table></div>`,
  ].join("\n");
}

export function renderNotFoundPage(site: string): string {
  return page("not found · simulium", "/dashboard", `<p>No site named <strong>${escapeHtml(site)}</strong>. <a href="/dashboard">All sites</a></p>`);
}

/** What the plan page shows: a stored plan, as the preview loop keeps it. */
export type DashboardPlan = StoredPlan;

/** A pull request head's plan, linked from its `<context>/plan` commit status. */
export function renderPlanPage(p: DashboardPlan): string {
  const what = p.provider === "branch" ? `branch <code>${escapeHtml(p.ref ?? "?")}</code>` : `pull request #${p.number}${p.ref ? ` (<code>${escapeHtml(p.ref)}</code>)` : ""}`;
  return page(
    `plan ${p.sha.slice(0, 12)} · simulium`,
    null,
    [
      `<h2>Plan of ${what}</h2>`,
      `<p class="overview">head <code>${escapeHtml(p.sha)}</code> · planned against the live swarm <time datetime="${escapeHtml(p.at)}">${escapeHtml(clock(p.at))}</time></p>`,
      `<pre class="plan">${escapeHtml(p.text)}</pre>`,
      `<p class="muted">The daemon keeps the last plans in memory only; after a restart, the next push plans again.</p>`,
    ].join("\n"),
    true,
  );
}

export function renderPlanNotFoundPage(sha: string): string {
  return page(
    "no plan · simulium",
    null,
    `<p>No plan of <code>${escapeHtml(sha)}</code> here: the daemon keeps the last plans in memory only (a restart, or a head planned long ago). <a href="/dashboard">All sites</a></p>`,
    true,
  );
}

/** The login form: the token is posted once and exchanged for a session cookie. */
export function renderLoginPage(error: string | null, next: string): string {
  return page(
    "sign in · simulium",
    null,
    [
      `<form class="login" method="post" action="/login">`,
      `<h2>Sign in</h2>`,
      error === null ? "" : `<p class="error" role="alert">${escapeHtml(error)}</p>`,
      `<p><label for="token">API token (the content of the daemon's <code>--api-token-file</code>)</label></p>`,
      `<p><input id="token" name="token" type="password" autocomplete="current-password" required></p>`,
      `<input type="hidden" name="next" value="${escapeHtml(next)}">`,
      `<p><button type="submit">Sign in</button></p>`,
      `</form>`,
    ].join("\n"),
  );
}

// ---- helpers ----------------------------------------------------------------------------

/** `signedIn`: the page is behind the session (sign-out button); pages that refresh always are. */
function page(title: string, refresh: string | null, main: string, signedIn = refresh !== null): string {
  return [
    `<!doctype html>`,
    `<html lang="en">`,
    `<head>`,
    `<meta charset="utf-8">`,
    `<meta name="viewport" content="width=device-width, initial-scale=1">`,
    `<title>${escapeHtml(title)}</title>`,
    `<link rel="stylesheet" href="/dashboard/app.css">`,
    refresh === null ? "" : `<script src="/dashboard/app.js" defer></script>`,
    `</head>`,
    `<body>`,
    `<header><h1><a href="/dashboard">simulium</a></h1>${!signedIn ? "" : `<form method="post" action="/logout"><button type="submit">Sign out</button></form>`}</header>`,
    `<main id="main"${refresh === null ? "" : ` data-refresh-seconds="${REFRESH_SECONDS}"`} aria-live="polite">`,
    main,
    `</main>`,
    `</body>`,
    `</html>`,
    ``,
  ]
    .filter((l) => l !== "")
    .join("\n");
}

function overview(view: DashboardView): string {
  const commit = view.commit ? `<code>${escapeHtml(view.commit.sha.slice(0, 8))}</code> ${escapeHtml(view.commit.subject)} <span class="muted">(${escapeHtml(view.commit.author)})</span>` : "none yet";
  const run = view.lastRun
    ? `${view.lastRun.ok ? "ok" : `<span class="error">failed: ${escapeHtml(view.lastRun.error ?? "")}</span>`} ${timeCell(view.lastRun.at, view.now)}`
    : "none yet";
  return `<p class="overview">Instance <strong>${escapeHtml(view.instance ?? "?")}</strong> · commit in force ${commit} · last reconcile ${run} · <span class="muted">as of <time datetime="${escapeHtml(view.now)}">${escapeHtml(clock(view.now))}</time></span></p>`;
}

function fleetRow(s: DashboardSite, now: string, tls: boolean, uptime: boolean): string {
  const cells = [
    `<th scope="row" data-label="Site"><a href="${escapeHtml(sitePath(s.site))}">${escapeHtml(s.site)}</a></th>`,
    `<td data-label="State">${stateBadge(s.state)}${s.lastError ? `<div class="error">${escapeHtml(truncate(s.lastError, 200))}</div>` : ""}</td>`,
    ...(uptime ? [`<td data-label="Up">${uptimeCell(s.uptime)}</td>`] : []),
    `<td data-label="Domains">${domainsCell(s.domains, s.certificate)}</td>`,
    `<td data-label="Commit">${commitCell(s.commit)}</td>`,
    `<td data-label="Varnish backends">${routingCell(s.routing)}</td>`,
    `<td data-label="Last deploy">${timeCell(s.lastDeployAt, now)}</td>`,
    `<td data-label="Last backup">${backupCell(s.backup, now)}</td>`,
    `<td data-label="Last cron runs">${cronsCell(s.crons, now)}</td>`,
    ...(tls ? [`<td data-label="Certificate">${certificateCell(s.certificate, now)}</td>`] : []),
  ];
  return `<tr data-site="${escapeHtml(s.site)}" data-state="${escapeHtml(s.state)}">${cells.join("")}</tr>`;
}

function stateBadge(state: string): string {
  const cls = STATES.has(state) ? ` state-${state}` : "";
  return `<span class="state${cls}">${escapeHtml(state)}</span>`;
}

const HOSTNAME = /^(?:\*\.)?[a-z0-9](?:[a-z0-9-]*[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)*$/i;

function domainsCell(domains: readonly string[], certificate: DashboardSite["certificate"]): string {
  if (domains.length === 0) return `<span class="muted">none</span>`;
  const scheme = certificate ? "https" : "http";
  // Only a plain host name becomes a link; anything else is shown as text.
  const one = (d: string): string => (HOSTNAME.test(d) && !d.startsWith("*.") ? `<a href="${scheme}://${escapeHtml(d)}/">${escapeHtml(d)}</a>` : escapeHtml(d));
  return `<ul class="plain">${domains.map((d) => `<li>${one(d)}</li>`).join("")}</ul>`;
}

function commitCell(c: DashboardSite["commit"]): string {
  if (c === null) return `<span class="muted">not running</span>`;
  const short = escapeHtml(c.sha.slice(0, 8));
  const sha = safeUrl(c.url) ? `<a href="${escapeHtml(c.url ?? "")}"><code>${short}</code></a>` : `<code>${short}</code>`;
  const subject = c.subject === null ? "" : ` ${escapeHtml(truncate(c.subject, 80))}`;
  const author = c.author === null ? "" : ` <span class="muted">${escapeHtml(c.author)}</span>`;
  return `${sha}${subject}${author}`;
}

function safeUrl(url: string | null): boolean {
  return url !== null && /^https?:\/\//i.test(url);
}

function routingCell(r: DashboardSite["routing"]): string {
  if (r === undefined) return `<span class="muted">unknown</span>`;
  const cls = r.sick > 0 && r.healthy === 0 ? "bad" : r.sick > 0 ? "warn" : "ok";
  return `<span class="${cls}">${r.healthy} healthy, ${r.sick} sick</span>`;
}

function uptimeCell(u: DashboardSite["uptime"]): string {
  if (u === undefined || u === null) return `<span class="muted">not probed</span>`;
  const latency = u.seconds === null ? "" : ` ${Math.round(u.seconds * 1000)} ms`;
  return u.up ? `<span class="ok">up</span>${latency}` : `<span class="bad">down</span>${u.error ? ` <span class="error">${escapeHtml(truncate(u.error, 120))}</span>` : ""}`;
}

function backupCell(b: DashboardSite["backup"], now: string): string {
  if (b === null) return `<span class="muted">none</span>`;
  return `${b.ok ? `<span class="ok">ok</span>` : `<span class="bad" title="${escapeHtml(truncate(b.message, 300))}">failed</span>`} ${timeCell(b.at, now)}`;
}

function cronsCell(crons: readonly DashboardCron[], now: string): string {
  if (crons.length === 0) return `<span class="muted">none</span>`;
  const one = (c: DashboardCron): string => {
    const last = c.runs[0];
    const result = last === undefined ? `<span class="muted">not run yet</span>` : `${resultBadge(last.result)} ${timeCell(last.startedAt, now)}`;
    return `<li>${escapeHtml(c.name)}: ${result}</li>`;
  };
  return `<ul class="plain">${crons.map(one).join("")}</ul>`;
}

function certificateCell(c: DashboardSite["certificate"], now: string): string {
  if (c === undefined || c === null) return `<span class="muted">none</span>`;
  const days = Math.floor((Date.parse(c.notAfter) - Date.parse(now)) / 86_400_000);
  const cls = days < 7 ? "bad" : days < 21 ? "warn" : "ok";
  return `<span class="${cls}">expires in ${days} d</span> <time datetime="${escapeHtml(c.notAfter)}">${escapeHtml(c.notAfter.slice(0, 10))}</time>`;
}

function resultBadge(result: string): string {
  const cls = result === "ok" ? "ok" : result === "skipped" ? "warn" : "bad";
  return `<span class="${cls}">${escapeHtml(result)}</span>`;
}

function historyRow(e: SiteEvent, now: string): string {
  if (e.kind === "deploy") {
    const what = e.ok ? `<span class="ok">deployed</span>` : `<span class="bad">deploy failed</span>`;
    const detail = `<code>${escapeHtml(e.commit.slice(0, 8))}</code> ${escapeHtml(e.subject)} <span class="muted">${escapeHtml(e.author)}</span>${e.error ? `<pre class="error">${escapeHtml(e.error)}</pre>` : ""}`;
    return `<tr><td>${timeCell(e.at, now)}</td><td>${what}</td><td>${detail}</td></tr>`;
  }
  const detail = e.error ? `<pre class="error">${escapeHtml(e.error)}</pre>` : "";
  if (e.kind === "alert") return `<tr><td>${timeCell(e.at, now)}</td><td><span class="${e.ok ? "ok" : "bad"}">${escapeHtml(e.text)}</span></td><td>${detail}</td></tr>`;
  return `<tr><td>${timeCell(e.at, now)}</td><td>${escapeHtml(e.from)} → ${stateBadge(e.to)}</td><td>${detail}</td></tr>`;
}

function runRow(what: string, r: DashboardRun, now: string): string {
  const exit = r.exitCode === null ? "" : ` <span class="muted">exit ${r.exitCode}</span>`;
  const output = r.output.trim() === "" ? "" : `<details><summary>output</summary><pre>${escapeHtml(r.output)}</pre></details>`;
  return `<tr><td>${timeCell(r.startedAt, now)}</td><td>${escapeHtml(what)}</td><td>${resultBadge(r.result)}${exit} <span class="muted">${r.durationSeconds.toFixed(1)} s</span></td><td>${output}</td></tr>`;
}

function timeCell(at: string | null, now: string): string {
  if (at === null) return `<span class="muted">—</span>`;
  return `<time datetime="${escapeHtml(at)}" title="${escapeHtml(at)}">${escapeHtml(age(at, now))}</time>`;
}

/** "42 s ago", "5 min ago", "3 h ago", "2 d ago". */
export function age(at: string, now: string): string {
  const s = Math.max(0, Math.round((Date.parse(now) - Date.parse(at)) / 1000));
  if (Number.isNaN(s)) return at;
  if (s < 90) return `${s} s ago`;
  if (s < 90 * 60) return `${Math.round(s / 60)} min ago`;
  if (s < 36 * 3600) return `${Math.round(s / 3600)} h ago`;
  return `${Math.round(s / 86400)} d ago`;
}

function clock(iso: string): string {
  return iso.replace("T", " ").replace(/\.\d+Z$/, " UTC").replace(/Z$/, " UTC");
}

function truncate(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}
