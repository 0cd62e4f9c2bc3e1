/**
 * `simulium logs`: the pure half. Which of a site's services a `--service` choice means, the
 * engine's log lines parsed into records (time, service, task, stream), merged by time and
 * printed for people or as JSON lines.
 */

export const LOG_SERVICES = ["web", "db", "cron", "backup", "all"] as const;
export type LogService = (typeof LOG_SERVICES)[number];

export type LogStream = "stdout" | "stderr";

export interface LogLine {
  /** UTC, nanoseconds, fixed width (`2026-11-30T10:01:02.123456789Z`): sorts as a string. */
  readonly time: string;
  /** The service's name without the `<site>_` prefix: `web`, `db`, `cron-drupal-3f9a01`. */
  readonly service: string;
  /** `<service>.<slot>` (`web.1`), or the task ID's start when the task is no longer listed. */
  readonly task: string;
  readonly stream: LogStream;
  readonly line: string;
}

/** A bad `--service`, `--since` or `--tail`: said before anything is read. */
export class LogsOptionError extends Error {}

/** Job kinds (`<site>_<kind>-…`) of the site's restic jobs: backups and what they run beside. */
const BACKUP_JOB_PREFIXES = ["backup-job-", "check-job-", "verify-job-", "restore-job-", "list-job-"];

export interface SiteService {
  readonly name: string;
  /** `simulium.role`: web, db, ssh, sftp, phpmyadmin, job. */
  readonly role: string;
}

/**
 * The services of the site a `--service` choice reads: web and db by role, cron and backup
 * among the site's job services still present (a job's service is removed when it ends, and
 * its logs with it).
 */
export function selectServices(site: string, services: readonly SiteService[], which: LogService): SiteService[] {
  const ofSite = services.filter((s) => s.name.startsWith(`${site}_`));
  const kind = (s: SiteService) => shortName(site, s.name);
  const chosen = ofSite.filter((s) => {
    switch (which) {
      case "all":
        return true;
      case "web":
      case "db":
        return s.role === which;
      case "cron":
        return s.role === "job" && kind(s).startsWith("cron-");
      case "backup":
        return s.role === "job" && BACKUP_JOB_PREFIXES.some((p) => kind(s).startsWith(p));
    }
  });
  return [...chosen].sort((a, b) => a.name.localeCompare(b.name));
}

export function parseService(text: string): LogService {
  if ((LOG_SERVICES as readonly string[]).includes(text)) return text as LogService;
  throw new LogsOptionError(`--service must be one of ${LOG_SERVICES.join(", ")} (got "${text}")`);
}

export function parseTail(text: string): number {
  if (!/^\d{1,9}$/.test(text)) throw new LogsOptionError(`--tail must be a whole number of lines (got "${text}")`);
  return Number(text);
}

const DURATION = /^(\d{1,9})(s|m|h|d)$/;
const UNIT_SECONDS: Readonly<Record<string, number>> = { s: 1, m: 60, h: 3600, d: 86400 };
const ISO_TIME = /^\d{4}-\d\d-\d\d(T\d\d:\d\d(:\d\d(\.\d+)?)?(Z|[+-]\d\d:\d\d))?$/;

/** `--since`: a duration back from now (`30m`, `1h`, `2d`, `45s`) or an ISO 8601 time. */
export function parseSince(text: string, now: Date): Date {
  const d = DURATION.exec(text);
  if (d) return new Date(now.getTime() - Number(d[1]) * (UNIT_SECONDS[d[2] as string] as number) * 1000);
  if (ISO_TIME.test(text)) {
    const t = Date.parse(text);
    if (!Number.isNaN(t)) return new Date(t);
  }
  throw new LogsOptionError(`--since must be a duration such as 30m, 1h or 2d, or an ISO time such as 2026-11-30T10:00:00Z (got "${text}")`);
}

/** The service's name within its site: `acme_web` → `web`. */
export function shortName(site: string, service: string): string {
  return service.startsWith(`${site}_`) ? service.slice(site.length + 1) : service;
}

/** How a line names its task: the slot when the task is still listed (`web.1`), else the ID's start. */
export function taskLabel(service: string, taskId: string, slots: ReadonlyMap<string, number>): string {
  const slot = slots.get(taskId);
  return `${service}.${slot !== undefined ? String(slot) : taskId.slice(0, 12) || "?"}`;
}

const STAMP = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d{1,9}))?(Z|[+-]\d\d:\d\d) /;

/**
 * One message of the engine's service log stream, asked with `timestamps` and `details`:
 * `<RFC 3339 time> <k=v,k=v attributes> <text>\n`. The attributes carry the task's ID.
 * A message with several lines gives one record each, all at the message's time.
 */
export function parseMessage(text: string, service: string, stream: LogStream, slots: ReadonlyMap<string, number>): LogLine[] {
  const m = STAMP.exec(text);
  if (!m) return splitLines(text).map((line) => ({ time: "", service, task: `${service}.?`, stream, line }));
  const time = utcNanos(m[1] as string, m[2] ?? "", m[3] as string);
  const rest = text.slice(m[0].length);
  const space = rest.indexOf(" ");
  const attrs = space < 0 ? rest : rest.slice(0, space);
  const body = space < 0 ? "" : rest.slice(space + 1);
  const taskId = attributes(attrs).get("com.docker.swarm.task.id") ?? "";
  const task = taskLabel(service, taskId, slots);
  return splitLines(body).map((line) => ({ time, service, task, stream, line }));
}

/** Every record in time order; records of the same time keep their order (stable sort). */
export function mergeByTime(lines: readonly LogLine[]): LogLine[] {
  return [...lines].sort((a, b) => (a.time < b.time ? -1 : a.time > b.time ? 1 : 0));
}

/** The last `n` records of a merged list (`--tail` over the site, not per service). */
export function lastLines(lines: readonly LogLine[], n: number | undefined): LogLine[] {
  return n === undefined ? [...lines] : n === 0 ? [] : lines.slice(-n);
}

/** `2026-11-30T10:01:02.123Z web.1 <line>` (milliseconds; `--json` keeps the engine's nanoseconds and the stream). */
export function formatLine(l: LogLine): string {
  const time = l.time ? `${l.time.slice(0, 23)}Z` : "-";
  return `${time} ${l.task} ${l.line}\n`;
}

export function formatJson(l: LogLine): string {
  return `${JSON.stringify({ time: l.time, service: l.service, task: l.task, stream: l.stream, line: l.line })}\n`;
}

/**
 * While following, records wait a short window before they are printed, so lines of several
 * services that arrive close together still come out in time order. Returns the records that
 * arrived at least `windowMs` ago, in time order, and those still waiting.
 */
export function takeReady<T extends { readonly line: LogLine; readonly arrived: number }>(waiting: readonly T[], now: number, windowMs: number): { ready: LogLine[]; rest: T[] } {
  const due = waiting.filter((w) => w.arrived <= now - windowMs);
  const rest = waiting.filter((w) => w.arrived > now - windowMs);
  return { ready: mergeByTime(due.map((w) => w.line)), rest };
}

function splitLines(text: string): string[] {
  const lines = text.replace(/\r?\n$/, "").split(/\r?\n/);
  return lines.length === 1 && lines[0] === "" && text === "" ? [] : lines;
}

function attributes(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const pair of text.split(",")) {
    const eq = pair.indexOf("=");
    if (eq > 0) out.set(decode(pair.slice(0, eq)), decode(pair.slice(eq + 1)));
  }
  return out;
}

/** The engine query-escapes attribute keys and values (Go's url.QueryEscape: `+` for a space). */
function decode(text: string): string {
  try {
    return decodeURIComponent(text.replace(/\+/g, " "));
  } catch {
    return text;
  }
}

function utcNanos(base: string, fraction: string, zone: string): string {
  const ms = Date.parse(`${base}${zone}`);
  if (Number.isNaN(ms)) return `${base}.${fraction.padEnd(9, "0")}Z`;
  return `${new Date(ms).toISOString().slice(0, 19)}.${fraction.padEnd(9, "0")}Z`;
}
