import type Docker from "dockerode";
import { Readable, Writable } from "node:stream";
import { finished } from "node:stream/promises";
import { LABEL } from "../desired/labels";
import type { ApiService, ApiTask } from "../engine/api-types";
import { engineStatus } from "../engine/docker";
import { LogLine, LogService, LogStream, lastLines, mergeByTime, parseMessage, selectServices, shortName, takeReady } from "./lines";

export interface LogsRequest {
  readonly instance: string;
  readonly site: string;
  readonly service: LogService;
  readonly since?: Date;
  /** The last lines of the site, all selected services merged. */
  readonly tail?: number;
}

interface Source {
  readonly id: string;
  readonly name: string;
  /** Its name within the site (`web`, `cron-drupal-3f9a01`). */
  readonly short: string;
}

/** The site's services a request reads (this instance's only), and their tasks' slots. */
export async function logSources(docker: Docker, req: LogsRequest): Promise<{ sources: Source[]; slots: Map<string, number> }> {
  const listed = (await docker.listServices({ filters: { label: [`${LABEL.instance}=${req.instance}`, `${LABEL.site}=${req.site}`] } })) as ApiService[];
  const byName = new Map(listed.map((s) => [s.Spec?.Name ?? "", s]));
  const chosen = selectServices(
    req.site,
    listed.map((s) => ({ name: s.Spec?.Name ?? "", role: s.Spec?.Labels?.[LABEL.role] ?? "" })),
    req.service,
  );
  const sources = chosen.map((c) => ({ id: byName.get(c.name)?.ID ?? c.name, name: c.name, short: shortName(req.site, c.name) }));
  return { sources, slots: await taskSlots(docker, sources) };
}

/** Everything the engine keeps of the selected services, since `since`, merged by time, the last `tail`. */
export async function readSiteLogs(docker: Docker, req: LogsRequest, found?: { sources: Source[]; slots: Map<string, number> }): Promise<LogLine[]> {
  const { sources, slots } = found ?? (await logSources(docker, req));
  const lines: LogLine[] = [];
  const from = req.since ? nanosOf(req.since) : "";
  await Promise.all(
    sources.map((s) =>
      streamService(docker, s, slots, { follow: false, since: req.since, tail: req.tail }, (l) => {
        if (l.time >= from) lines.push(l);
      }),
    ),
  );
  return lastLines(mergeByTime(lines), req.tail);
}

export interface FollowOptions {
  /** Ends the follow (Ctrl-C). */
  readonly signal: AbortSignal;
  readonly onLine: (line: LogLine) => void;
  /** How long a line waits for earlier lines of other services (default 250 ms). */
  readonly windowMs?: number;
  /** How often new services (a cron job that starts) and new tasks are looked for (default 3 s). */
  readonly rescanMs?: number;
}

/**
 * The backlog (as readSiteLogs), then every new line until the signal aborts. Services that
 * appear meanwhile (a cron or backup job starting) are followed from their first line.
 */
export async function followSiteLogs(docker: Docker, req: LogsRequest, opts: FollowOptions): Promise<void> {
  const found = await logSources(docker, req);
  const backlog = await readSiteLogs(docker, req, found);
  for (const l of backlog) opts.onLine(l);
  // Follow from the last line shown: a line of that same time already shown is not shown twice.
  const boundary = backlog.at(-1)?.time ?? (req.since ? nanosOf(req.since) : "");
  const shownAtBoundary = new Set(backlog.filter((l) => l.time === boundary).map(key));
  const sinceSeconds = boundary ? Math.floor(Date.parse(boundary) / 1000) : Math.floor(Date.now() / 1000);

  let waiting: { line: LogLine; arrived: number }[] = [];
  const accept = (l: LogLine) => {
    if (l.time < boundary || (l.time === boundary && shownAtBoundary.has(key(l)))) return;
    waiting.push({ line: l, arrived: Date.now() });
  };
  const flush = (all: boolean) => {
    const { ready, rest } = takeReady(waiting, all ? Infinity : Date.now(), all ? 0 : opts.windowMs ?? 250);
    waiting = rest;
    for (const l of ready) opts.onLine(l);
  };

  const followed = new Set<string>();
  const running: Promise<void>[] = [];
  const start = (s: Source, since: number | undefined) => {
    followed.add(s.id);
    running.push(streamService(docker, s, found.slots, { follow: true, since, signal: opts.signal }, accept));
  };
  for (const s of found.sources) start(s, sinceSeconds);

  const ticker = setInterval(() => flush(false), 100);
  const rescan = setInterval(() => {
    void logSources(docker, req)
      .then(({ sources, slots }) => {
        for (const [id, slot] of slots) found.slots.set(id, slot);
        for (const s of sources) if (!followed.has(s.id) && !opts.signal.aborted) start(s, undefined);
      })
      .catch(() => undefined);
  }, opts.rescanMs ?? 3000);
  try {
    if (!opts.signal.aborted) await new Promise<void>((resolve) => opts.signal.addEventListener("abort", () => resolve(), { once: true }));
    await Promise.all(running);
  } finally {
    clearInterval(ticker);
    clearInterval(rescan);
    flush(true);
  }
}

/** The tasks' slots by task ID (old tasks still listed keep theirs: `web.1` before and after a restart). */
async function taskSlots(docker: Docker, sources: readonly Source[]): Promise<Map<string, number>> {
  if (sources.length === 0) return new Map();
  const tasks = (await docker.listTasks({ filters: { service: sources.map((s) => s.id) } })) as ApiTask[];
  return new Map(tasks.filter((t) => t.Slot !== undefined).map((t) => [t.ID, t.Slot as number]));
}

/**
 * One service's log stream, demultiplexed by the engine client (stdout and stderr frames), each
 * message parsed into lines. Resolves when the stream ends (a job's service removed, the
 * signal aborted); a service already gone reads as no lines.
 */
async function streamService(
  docker: Docker,
  source: Source,
  slots: ReadonlyMap<string, number>,
  opts: { follow: boolean; since?: Date | number; tail?: number; signal?: AbortSignal },
  onLine: (l: LogLine) => void,
): Promise<void> {
  const since = opts.since instanceof Date ? Math.floor(opts.since.getTime() / 1000) : opts.since;
  let raw: NodeJS.ReadableStream | Buffer;
  try {
    raw = (await docker.getService(source.id).logs({
      stdout: true,
      stderr: true,
      timestamps: true,
      // The attributes carry each message's task ID.
      details: true,
      follow: opts.follow,
      ...(since !== undefined ? { since } : {}),
      ...(opts.tail !== undefined ? { tail: opts.tail } : {}),
      ...(opts.signal ? { abortSignal: opts.signal } : {}),
    })) as NodeJS.ReadableStream | Buffer;
  } catch (err) {
    if (engineStatus(err) === 404 || opts.signal?.aborted) return;
    throw err;
  }
  const stream = Buffer.isBuffer(raw) ? Readable.from([raw]) : raw;
  const sink = (name: LogStream) =>
    new Writable({
      write(chunk: Buffer, _enc, done) {
        for (const l of parseMessage(chunk.toString("utf8"), source.short, name, slots)) onLine(l);
        done();
      },
    });
  const out = sink("stdout");
  const err = sink("stderr");
  (docker.modem as { demuxStream: (s: NodeJS.ReadableStream, o: Writable, e: Writable) => void }).demuxStream(stream, out, err);
  await new Promise<void>((resolve) => {
    stream.on("end", resolve);
    stream.on("close", resolve);
    stream.on("error", () => resolve());
  });
  out.end();
  err.end();
  await Promise.all([finished(out), finished(err)]);
}

function nanosOf(d: Date): string {
  return `${d.toISOString().slice(0, 23)}000000Z`;
}

function key(l: LogLine): string {
  return `${l.time} ${l.task} ${l.stream} ${l.line}`;
}
