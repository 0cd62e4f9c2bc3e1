import type { Revision } from "./types";

const FIELD = "\x1f";
const RECORD = "\x1e";

/** `git log --format=` producing records parseLog understands (unit/record separators never occur in metadata). */
export const LOG_FORMAT = ["%H", "%an", "%ae", "%aI", "%s"].join("%x1f") + "%x1e";

export function parseLog(output: string): Revision[] {
  return output
    .split(RECORD)
    .map((r) => r.replace(/^\s+/, ""))
    .filter((r) => r.length > 0)
    .map((r) => {
      const [sha = "", author = "", email = "", date = "", subject = ""] = r.split(FIELD);
      return { sha, author, email, date, subject: subject.replace(/\s+$/, "") };
    });
}
