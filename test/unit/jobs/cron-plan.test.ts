import { cronEntries, CronEntry, CronRun, diffSchedules, entryFingerprint, pushHistory, tailLines, tickDecision } from "../../../controller/jobs/cron-plan";
import { loadSite, siteYaml } from "../manifests/helpers";
import type { ResolvedSite } from "../../../controller/manifests/types";

const BOUNCE_SEALED = "YWdlLWVuY3J5cHRpb24ub3JnL3YxCmJvdW5jZQ==";
const SMTP_SEALED = "YWdlLWVuY3J5cHRpb24ub3JnL3YxCnNtdHA=";
const mail = (returnPath: boolean) =>
  `  mail:\n    host: smtp.example.net\n    user: acme@example.net\n    password: {sealed: "${SMTP_SEALED}"}\n    from: noreply@acme.example.org\n` +
  (returnPath ? `    returnPath:\n      host: imap.example.net\n      user: bounces\n      password: {sealed: "${BOUNCE_SEALED}"}\n      mailbox: return@acme.example.org\n` : "");

function site(extra: string, name = "acme"): ResolvedSite {
  const r = loadSite(name, siteYaml(name) + extra);
  expect(r.errors).toEqual([]);
  const s = r.sites[0];
  if (!s) throw new Error("no site");
  return s;
}

const drushCron = "  cron:\n    - name: drupal\n      schedule: \"*/5 * * * *\"\n      command: [drush, cron]\n";

describe("cron entries", () => {
  it("takes the site's own entries with their defaults", () => {
    expect(cronEntries([site(drushCron)])).toEqual([
      { site: "acme", name: "drupal", schedule: "*/5 * * * *", command: ["drush", "cron"], timeout: 900, allowOverlap: false },
    ]);
  });

  it("leaves out suspended sites", () => {
    expect(cronEntries([site(drushCron + "  suspend: true\n")])).toEqual([]);
  });

  it("adds CiviCRM's scheduled jobs every 15 minutes when CiviCRM is enabled", () => {
    const entries = cronEntries([site("  civicrm: {enabled: true}\n")]);
    expect(entries).toEqual([{ site: "acme", name: "civicrm-jobs", schedule: "*/15 * * * *", command: ["cv", "api3", "job.execute"], timeout: 900, allowOverlap: false }]);
  });

  it("adds nothing when CiviCRM is not enabled or its scheduled jobs are turned off", () => {
    expect(cronEntries([site("  civicrm: {enabled: false}\n")])).toEqual([]);
    expect(cronEntries([site("  civicrm: {enabled: true, jobs: {scheduled: false}}\n")])).toEqual([]);
  });

  it("keeps the manifest's own entry for job.execute instead of the default", () => {
    const own = "  civicrm: {enabled: true}\n  cron:\n    - name: civi\n      schedule: \"*/5 * * * *\"\n      command: [cv, api3, job.execute]\n";
    expect(cronEntries([site(own)]).map((e) => [e.name, e.schedule])).toEqual([["civi", "*/5 * * * *"]]);
  });

  it("fetches bounces hourly only with a return path", () => {
    expect(cronEntries([site("  civicrm: {enabled: true}\n" + mail(false))]).map((e) => e.name)).toEqual(["civicrm-jobs"]);
    const withBounces = cronEntries([site("  civicrm: {enabled: true}\n" + mail(true))]);
    expect(withBounces.map((e) => [e.name, e.schedule, e.command.join(" ")])).toEqual([
      ["civicrm-jobs", "*/15 * * * *", "cv api3 job.execute"],
      ["civicrm-bounces", "0 * * * *", "cv api3 job.fetch_bounces"],
    ]);
    expect(cronEntries([site("  civicrm: {enabled: true, jobs: {bounces: false}}\n" + mail(true))]).map((e) => e.name)).toEqual(["civicrm-jobs"]);
  });
});

const entry = (over: Partial<CronEntry> = {}): CronEntry => ({ site: "acme", name: "drupal", schedule: "* * * * *", command: ["drush", "cron"], timeout: 60, allowOverlap: false, ...over });

describe("diffSchedules", () => {
  const tz = "Europe/Zurich";
  it("starts new entries and leaves unchanged ones alone", () => {
    const a = entry();
    const b = entry({ name: "other" });
    expect(diffSchedules(new Map([["acme/drupal", entryFingerprint(a, tz)]]), [a, b], tz)).toEqual({ stop: [], start: [b] });
  });

  it("replaces a changed entry and stops a removed one", () => {
    const current = new Map([
      ["acme/drupal", entryFingerprint(entry(), tz)],
      ["gone/x", entryFingerprint(entry({ site: "gone", name: "x" }), tz)],
    ]);
    const changed = entry({ schedule: "*/2 * * * *" });
    expect(diffSchedules(current, [changed], tz)).toEqual({ stop: ["acme/drupal", "gone/x"], start: [changed] });
  });

  it("replans everything when the time zone changes", () => {
    const a = entry();
    expect(diffSchedules(new Map([["acme/drupal", entryFingerprint(a, tz)]]), [a], "UTC")).toEqual({ stop: ["acme/drupal"], start: [a] });
  });
});

describe("tickDecision", () => {
  it("skips while a run is going unless overlap is allowed", () => {
    expect(tickDecision({ allowOverlap: false }, 0)).toBe("start");
    expect(tickDecision({ allowOverlap: false }, 1)).toBe("skip");
    expect(tickDecision({ allowOverlap: true }, 1)).toBe("start");
  });
});

describe("history", () => {
  const run = (n: number): CronRun => ({ startedAt: new Date(n * 1000).toISOString(), durationSeconds: 1, result: "success", exitCode: 0, output: String(n) });
  it("keeps the newest runs first, at most the limit", () => {
    let h: CronRun[] = [];
    for (let i = 1; i <= 25; i++) h = pushHistory(h, run(i));
    expect(h).toHaveLength(20);
    expect(h[0]?.output).toBe("25");
    expect(h[19]?.output).toBe("6");
  });

  it("keeps the last lines of output", () => {
    const text = Array.from({ length: 30 }, (_, i) => `line ${i + 1}`).join("\n") + "\n";
    const tail = tailLines(text).split("\n");
    expect(tail).toHaveLength(20);
    expect(tail[0]).toBe("line 11");
    expect(tail[19]).toBe("line 30");
  });
});
