import { findRun, groupRuns, latestCandidates, parseSizes, parseSnapshots, Snapshot } from "../../../controller/backup/snapshots";

const id = (c: string) => c.repeat(64);
const snap = (c: string, run: string, time: string, paths: string[], extra: string[] = []): Record<string, unknown> => ({
  time,
  tree: id("f"),
  paths,
  hostname: "acme",
  tags: ["site:acme", `run:${run}`, ...extra],
  id: id(c),
  short_id: id(c).slice(0, 8),
});

const output = [
  "creating the restic repository of acme",
  "@@simulium snapshots",
  JSON.stringify([
    snap("a", "r1", "2026-11-20T03:00:00.1Z", ["/database.sql"], ["commit:abc123", "manifest:m1"]),
    snap("b", "r1", "2026-11-20T03:00:05Z", ["/data"], ["commit:abc123", "manifest:m1"]),
    snap("c", "r2", "2026-11-21T03:00:00Z", ["/database.sql"]),
    { ...snap("d", "x", "2026-11-22T03:00:00Z", ["/data"]), tags: ["site:acme"] },
  ]),
  "",
  `@@simulium stats ${id("a")}`,
  JSON.stringify({ total_size: 1000, total_file_count: 1 }),
  `@@simulium stats ${id("b")}`,
  // A lock wait's line (stderr) between the marker and restic's JSON.
  "the restic repository of acme is locked by another job (already locked exclusively by PID 15 on b69a226da31b); restic stats waits for it",
  JSON.stringify({ total_size: 24, total_file_count: 3 }),
  `@@simulium stats ${id("c")}`,
  "Fatal: something",
].join("\n");

describe("restic snapshot lists", () => {
  const snapshots: Snapshot[] = parseSnapshots(output);

  it("reads the JSON after the marker, whatever is printed around it", () => {
    expect(snapshots.map((s) => s.shortId)).toEqual(["aaaaaaaa", "bbbbbbbb", "cccccccc", "dddddddd"]);
    expect(snapshots[0]).toMatchObject({ paths: ["/database.sql"], tags: ["site:acme", "run:r1", "commit:abc123", "manifest:m1"] });
  });

  it("fails clearly without a list or with broken JSON", () => {
    expect(() => parseSnapshots("Fatal: wrong password")).toThrow(/no snapshot list/);
    expect(() => parseSnapshots("@@simulium snapshots\n[{\"id\":")).toThrow(/not valid JSON/);
  });

  it("reads sizes by snapshot id, leaving out what cannot be read", () => {
    expect([...parseSizes(output)]).toEqual([
      [id("a"), 1000],
      [id("b"), 24],
    ]);
  });

  it("groups the two snapshots of a run, newest run first, and leaves out snapshots that are not a run's", () => {
    const runs = groupRuns(snapshots, parseSizes(output));
    expect(runs.map((r) => r.run)).toEqual(["r2", "r1"]);
    expect(runs[1]).toEqual({
      run: "r1",
      time: "2026-11-20T03:00:00.1Z",
      commit: "abc123",
      manifest: "m1",
      snapshots: [
        { id: id("a"), shortId: "aaaaaaaa", kind: "database", sizeBytes: 1000 },
        { id: id("b"), shortId: "bbbbbbbb", kind: "volumes", sizeBytes: 24 },
      ],
      sizeBytes: 1024,
    });
    // r2's size is unknown: no total rather than a wrong one.
    expect(runs[0]?.sizeBytes).toBeUndefined();
  });

  it("finds the run --from names: latest, a run id, a snapshot id or unique prefix", () => {
    const runs = groupRuns(snapshots);
    expect(findRun(runs, "latest")?.run).toBe("r2");
    expect(findRun(runs, "r1")?.run).toBe("r1");
    expect(findRun(runs, "bbbbbbbb")?.run).toBe("r1");
    expect(findRun(runs, id("c"))?.run).toBe("r2");
    expect(findRun(runs, "bbbb")).toBeUndefined();
    expect(findRun(runs, "eeeeeeee")).toBeUndefined();
    expect(findRun([], "latest")).toBeUndefined();
  });

  it("a run that lacks a part its tag names did not complete: shown, and never latest", () => {
    // r3 was made to have both; its volumes failed and its dump could not be removed.
    const half = snap("e", "r3", "2026-11-23T03:00:00Z", ["/database.sql"], ["parts:database.volumes"]);
    const whole = [snap("f", "r4", "2026-11-22T12:00:00Z", ["/database.sql"], ["parts:database.volumes"]), snap("g", "r4", "2026-11-22T12:00:05Z", ["/data"], ["parts:database.volumes"])];
    const runs = groupRuns([...snapshots, half, ...whole].map((s) => parseSnapshots(`@@simulium snapshots\n${JSON.stringify([s])}`)[0]!));
    expect(runs.map((r) => [r.run, r.missing])).toEqual([
      ["r3", ["volumes"]],
      ["r4", undefined],
      ["r2", undefined],
      ["r1", undefined],
    ]);
    expect(latestCandidates(runs, true).map((r) => r.run)).toEqual(["r4", "r1"]);
    // Named, it is still found: restore refuses it with what it lacks.
    expect(findRun(runs, "r3")?.missing).toEqual(["volumes"]);
  });

  it("latest: a run made before the parts tag needs volumes when the repository has any; a tagged run is taken for what it was made with", () => {
    const runs = groupRuns(snapshots);
    // r2 (untagged) has a dump only, in a repository whose runs have volumes: a failed run kept.
    expect(latestCandidates(runs, true).map((r) => r.run)).toEqual(["r1"]);
    // A repository without volumes (the site had none): r2 is whole.
    expect(latestCandidates(runs.filter((r) => r.run === "r2"), true).map((r) => r.run)).toEqual(["r2"]);
    // A site that gained its first volume: its runs, made with the database only, still restore it.
    const dbOnly = groupRuns([snap("h", "r5", "2026-11-24T03:00:00Z", ["/database.sql"], ["parts:database"])].map((x) => parseSnapshots(`@@simulium snapshots\n${JSON.stringify([x])}`)[0]!));
    expect(latestCandidates(dbOnly, true).map((r) => r.run)).toEqual(["r5"]);
    // A restore that loads a database needs a run with one.
    expect(latestCandidates(groupRuns(snapshots.filter((x) => x.shortId === "bbbbbbbb")), true)).toEqual([]);
  });
});
