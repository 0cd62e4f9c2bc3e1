import { validate, validateDetailed } from "node-cron";

const FIELD_WORDS: Readonly<Record<string, string>> = {
  second: "the seconds field",
  minute: "the minute field",
  hour: "the hour field",
  dayOfMonth: "the day-of-month field",
  month: "the month field",
  dayOfWeek: "the day-of-week field",
};

/**
 * Why a cron expression is unusable, or undefined when node-cron (the scheduler the jobs
 * runner uses) accepts it: validating with the same library means a schedule that passes
 * review also runs.
 */
export function scheduleProblem(expression: string): string | undefined {
  if (expression.trim() === "") return 'is empty: use a cron expression such as "*/15 * * * *"';
  // node-cron tolerates some blanks; a newline or tab in a schedule is a mistake (or worse).
  if (/[^\x20-\x7e]/.test(expression)) return "must be a single line of printable characters";
  if (validate(expression)) return undefined;
  const first = validateDetailed(expression).errors[0];
  const words = first ? FIELD_WORDS[first.field] : undefined;
  const detail = first && words ? `: ${words} ${JSON.stringify(first.value)} is out of range or malformed` : "";
  return `${JSON.stringify(expression)} is not a valid cron expression${detail} (expected 5 fields "minute hour day-of-month month day-of-week", or 6 with seconds first)`;
}
