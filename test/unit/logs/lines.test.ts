import {
  formatJson,
  formatLine,
  lastLines,
  LogLine,
  LogsOptionError,
  mergeByTime,
  parseMessage,
  parseService,
  parseSince,
  parseTail,
  selectServices,
  takeReady,
} from "../../../controller/logs/lines";

const TASK = "r93skbwwg5tpmufj0t1p1yym0";
const ATTRS = `com.docker.swarm.node.id=vme78fwl2oyunnai5qh45kn11,com.docker.swarm.service.id=j39cwv20n8qj8x0rz061hg817,com.docker.swarm.task.id=${TASK}`;
const slots = new Map([[TASK, 2]]);

const line = (time: string, task: string, text: string, stream: "stdout" | "stderr" = "stdout"): LogLine => ({ time, service: task.split(".")[0] as string, task, stream, line: text });

describe("logs: a message of the engine's stream (timestamps and details)", () => {
  it("gives the time in UTC nanoseconds, the task by its slot, and the text", () => {
    expect(parseMessage(`2026-11-30T10:01:02.123456789Z ${ATTRS} GET / HTTP/1.1 200\n`, "web", "stdout", slots)).toEqual([
      { time: "2026-11-30T10:01:02.123456789Z", service: "web", task: "web.2", stream: "stdout", line: "GET / HTTP/1.1 200" },
    ]);
  });

  it("pads a short fraction and converts an offset to UTC, so times sort as strings", () => {
    const [l] = parseMessage(`2026-11-30T11:01:02.5+01:00 ${ATTRS} x\n`, "db", "stderr", slots);
    expect(l?.time).toBe("2026-11-30T10:01:02.500000000Z");
  });

  it("names a task no longer listed by its ID's start, and splits a message of several lines", () => {
    const other = ATTRS.replace(TASK, "abcdefghijklmnopqrstuvwxy");
    expect(parseMessage(`2026-11-30T10:01:02.000000001Z ${other} one\ntwo\n`, "cron-drupal-3f9a01", "stdout", slots).map((l) => `${l.task} ${l.line}`)).toEqual([
      "cron-drupal-3f9a01.abcdefghijkl one",
      "cron-drupal-3f9a01.abcdefghijkl two",
    ]);
  });

  it("keeps spaces inside the text and decodes escaped attributes", () => {
    const escaped = `tag=a+b%2Cc,com.docker.swarm.task.id=${TASK}`;
    expect(parseMessage(`2026-11-30T10:01:02.000000000Z ${escaped}   indented  text\n`, "web", "stdout", slots)[0]?.line).toBe("  indented  text");
  });
});

describe("logs: merged by time, the last N of the site", () => {
  const a = line("2026-11-30T10:00:01.000000002Z", "web.1", "a2");
  const b = line("2026-11-30T10:00:01.000000001Z", "db.1", "b1");
  const c = line("2026-11-30T10:00:00.999999999Z", "web.2", "c0");
  const d = line("2026-11-30T10:00:01.000000001Z", "web.1", "d1");

  it("orders by the nanosecond time across services; equal times keep their order", () => {
    expect(mergeByTime([a, b, c, d]).map((l) => l.line)).toEqual(["c0", "b1", "d1", "a2"]);
  });

  it("--tail cuts the merged list, not each service", () => {
    expect(lastLines(mergeByTime([a, b, c, d]), 2).map((l) => l.line)).toEqual(["d1", "a2"]);
    expect(lastLines([a, b], 0)).toEqual([]);
    expect(lastLines([a, b], undefined)).toEqual([a, b]);
  });

  it("while following, holds lines for the window and releases them in time order", () => {
    const waiting = [
      { line: a, arrived: 1000 },
      { line: c, arrived: 1100 },
      { line: b, arrived: 1400 },
    ];
    const first = takeReady(waiting, 1350, 250);
    expect(first.ready.map((l) => l.line)).toEqual(["c0", "a2"]);
    expect(first.rest.map((w) => w.line.line)).toEqual(["b1"]);
    expect(takeReady(first.rest, 1650, 250).ready.map((l) => l.line)).toEqual(["b1"]);
  });
});

describe("logs: output", () => {
  const l = line("2026-11-30T10:01:02.123456789Z", "web.1", "GET / 200", "stderr");
  it("labels a line for people with the time (ms, UTC) and the task", () => {
    expect(formatLine(l)).toBe("2026-11-30T10:01:02.123Z web.1 GET / 200\n");
  });
  it("gives one JSON object per line with time, service, task, stream and line", () => {
    expect(JSON.parse(formatJson(l))).toEqual({ time: "2026-11-30T10:01:02.123456789Z", service: "web", task: "web.1", stream: "stderr", line: "GET / 200" });
    expect(formatJson(l).endsWith("}\n")).toBe(true);
  });
});

describe("logs: options", () => {
  const now = new Date("2026-11-30T12:00:00.000Z");
  it("--since takes durations and ISO times", () => {
    expect(parseSince("30m", now).toISOString()).toBe("2026-11-30T11:30:00.000Z");
    expect(parseSince("1h", now).toISOString()).toBe("2026-11-30T11:00:00.000Z");
    expect(parseSince("2d", now).toISOString()).toBe("2026-11-28T12:00:00.000Z");
    expect(parseSince("45s", now).toISOString()).toBe("2026-11-30T11:59:15.000Z");
    expect(parseSince("2026-11-30T10:00:00Z", now).toISOString()).toBe("2026-11-30T10:00:00.000Z");
    expect(parseSince("2026-11-30T10:00:00+02:00", now).toISOString()).toBe("2026-11-30T08:00:00.000Z");
    expect(parseSince("2026-11-29", now).toISOString()).toBe("2026-11-29T00:00:00.000Z");
  });
  it("refuses what is neither, saying what it expects", () => {
    for (const bad of ["1w", "h", "-1h", "yesterday", "2026-13-45T99:00:00Z", ""]) expect(() => parseSince(bad, now)).toThrow(LogsOptionError);
    expect(() => parseSince("1w", now)).toThrow('--since must be a duration such as 30m, 1h or 2d, or an ISO time such as 2026-11-30T10:00:00Z (got "1w")');
  });
  it("--tail is a whole number, --service one of the known", () => {
    expect(parseTail("5")).toBe(5);
    expect(() => parseTail("-1")).toThrow(LogsOptionError);
    expect(() => parseTail("ten")).toThrow(LogsOptionError);
    expect(parseService("cron")).toBe("cron");
    expect(() => parseService("varnish")).toThrow("--service must be one of web, db, cron, backup, all");
  });
});

describe("logs: which services a --service choice reads", () => {
  const services = [
    { name: "acme_web", role: "web" },
    { name: "acme_db", role: "db" },
    { name: "acme_ssh", role: "ssh" },
    { name: "acme_cron-drupal-3f9a01", role: "job" },
    { name: "acme_backup-job-91d7c9", role: "job" },
    { name: "acme_check-job-1a2b3c", role: "job" },
    { name: "acme_exec-0a0b0c", role: "job" },
    { name: "acme-two_web", role: "web" },
  ];
  const names = (which: Parameters<typeof selectServices>[2]) => selectServices("acme", services, which).map((s) => s.name);
  it("web and db by role; cron and backup among the site's jobs; all is every service of the site", () => {
    expect(names("web")).toEqual(["acme_web"]);
    expect(names("db")).toEqual(["acme_db"]);
    expect(names("cron")).toEqual(["acme_cron-drupal-3f9a01"]);
    expect(names("backup")).toEqual(["acme_backup-job-91d7c9", "acme_check-job-1a2b3c"]);
    expect(names("all")).toEqual(["acme_backup-job-91d7c9", "acme_check-job-1a2b3c", "acme_cron-drupal-3f9a01", "acme_db", "acme_exec-0a0b0c", "acme_ssh", "acme_web"]);
  });
});
