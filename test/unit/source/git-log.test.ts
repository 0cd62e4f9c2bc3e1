import { LOG_FORMAT, parseLog } from "../../../controller/source/git-log";

describe("parseLog", () => {
  it("parses records separated by RS with fields separated by US, subjects with any punctuation", () => {
    const out =
      "\n" +
      ["a".repeat(40), "Ada L", "ada@example.org", "2024-05-01T10:00:00+02:00", "sites: add acme | bump php; \"quoted\""].join("\x1f") +
      "\x1e\n" +
      ["b".repeat(40), "Bob", "bob@example.org", "2024-04-30T09:00:00+00:00", "first"].join("\x1f") +
      "\x1e\n";
    expect(parseLog(out)).toEqual([
      { sha: "a".repeat(40), author: "Ada L", email: "ada@example.org", date: "2024-05-01T10:00:00+02:00", subject: 'sites: add acme | bump php; "quoted"' },
      { sha: "b".repeat(40), author: "Bob", email: "bob@example.org", date: "2024-04-30T09:00:00+00:00", subject: "first" },
    ]);
  });

  it("gives no commits for empty output and asks git for the five fields", () => {
    expect(parseLog("")).toEqual([]);
    expect(LOG_FORMAT).toBe("%H%x1f%an%x1f%ae%x1f%aI%x1f%s%x1e");
  });
});
