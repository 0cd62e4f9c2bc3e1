import { describeExit, failureMessage } from "../../../controller/backup/outcome";
import { formatBytes, renderRuns } from "../../../controller/backup/render";
import { EXIT } from "../../../controller/backup/scripts";

describe("backups shown to operators", () => {
  it("lists runs with time, commit, size and snapshot ids", () => {
    const text = renderRuns("acme", [
      {
        run: "20261125T030000Z-aaaaaa",
        time: "2026-11-25T03:00:00.123Z",
        commit: "0123456789abcdef",
        snapshots: [
          { id: "a".repeat(64), shortId: "aaaaaaaa", kind: "database" },
          { id: "b".repeat(64), shortId: "bbbbbbbb", kind: "volumes" },
        ],
        sizeBytes: 3 * 1024 * 1024,
      },
    ]);
    expect(text.split("\n")[0]).toMatch(/^TIME\s+RUN\s+COMMIT\s+SIZE\s+SNAPSHOTS$/);
    expect(text).toContain("2026-11-25 03:00:00Z  20261125T030000Z-aaaaaa  0123456789ab  3.0 MiB  database=aaaaaaaa volumes=bbbbbbbb");
    expect(renderRuns("acme", [])).toBe("acme has no backup yet (simulium backup acme makes one)\n");
    const half = renderRuns("acme", [{ run: "r3", time: "2026-11-26T03:00:00Z", snapshots: [{ id: "c".repeat(64), shortId: "cccccccc", kind: "database" }], missing: ["volumes"], tagged: true }]);
    expect(half).toContain("database=cccccccc (incomplete: no volumes)");
    expect(formatBytes(512)).toBe("512 B");
  });

  it("explains each exit code of the scripts", () => {
    expect(describeExit("restore", EXIT.verify)).toMatch(/nothing of the site was changed/);
    expect(describeExit("restore", EXIT.loadFailed)).toMatch(/live database is untouched/);
    expect(describeExit("backup", EXIT.databaseDump)).toMatch(/left no snapshot/);
    expect(describeExit("backup", EXIT.incomplete)).toMatch(/stays in the repository. When it lacks a part, simulium backups shows it as incomplete and a restore of latest passes over it/);
    expect(describeExit("verify", EXIT.dumpIncomplete)).toMatch(/database dump did not complete .*nothing of the site was changed/);
    expect(describeExit("list", EXIT.locked)).toMatch(/^another job held the restic repository's lock .* for 15 minutes of waiting/);
    expect(describeExit("backup", 1)).toBe("backup failed with exit code 1");
    expect(failureMessage("backup", EXIT.repository, "a\nFatal: wrong password or no key found\n")).toMatch(/cannot be opened .*\(exit 20\):\na\nFatal: wrong password/s);
  });
});
