import { scheduleProblem } from "../../../controller/manifests/schedule";
import { loadSite, onlyError, siteYaml } from "./helpers";

describe("cron and backup schedules", () => {
  it.each(["*/15 * * * *", "30 2 * * *", "0 0 * * MON-FRI", "*/30 * * * * *", "@daily"])("accepts %s", (s) => {
    expect(scheduleProblem(s)).toBeUndefined();
  });

  it.each([
    ["61 * * * *", '"61 * * * *" is not a valid cron expression: the minute field "61" is out of range or malformed (expected 5 fields "minute hour day-of-month month day-of-week", or 6 with seconds first)'],
    ["0 25 * * *", '"0 25 * * *" is not a valid cron expression: the hour field "25" is out of range or malformed (expected 5 fields "minute hour day-of-month month day-of-week", or 6 with seconds first)'],
    ["* * *", '"* * *" is not a valid cron expression (expected 5 fields "minute hour day-of-month month day-of-week", or 6 with seconds first)'],
    ["", 'is empty: use a cron expression such as "*/15 * * * *"'],
    ["* * * * *\n* * * * *", "must be a single line of printable characters"],
  ])("rejects %j", (s, problem) => {
    expect(scheduleProblem(s)).toBe(problem);
  });

  it("locates a bad cron schedule", () => {
    const text = `${siteYaml()}  cron:\n    - {name: drupal, schedule: "60 * * * *", command: [drush, cron]}\n`;
    expect(onlyError(loadSite("acme", text))).toEqual({
      file: "sites/acme.yaml",
      line: 11,
      column: 32,
      path: "spec.cron[0].schedule",
      message:
        'schedule "60 * * * *" is not a valid cron expression: the minute field "60" is out of range or malformed (expected 5 fields "minute hour day-of-month month day-of-week", or 6 with seconds first)',
    });
  });

  it("locates a bad backup schedule", () => {
    const text = `${siteYaml()}  backup: {schedule: "nightly"}\n`;
    expect(onlyError(loadSite("acme", text))).toMatchObject({ line: 10, column: 22, path: "spec.backup.schedule", message: expect.stringMatching(/^schedule "nightly" is not a valid cron expression/) });
  });
});
