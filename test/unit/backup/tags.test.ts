import { runId, runTags } from "../../../controller/backup/tags";

describe("backup run tags", () => {
  it("makes sortable run ids", () => {
    expect(runId(new Date("2026-11-25T13:35:59.123Z"), "a1b2c3")).toBe("20261125T133559Z-a1b2c3");
  });

  it("tags site, run, commit, manifest hash and the parts a whole run has", () => {
    expect(runTags({ site: "acme", run: "r1", commit: "abc", manifest: "0123abcd", parts: ["database", "volumes"] })).toEqual(["site:acme", "run:r1", "commit:abc", "manifest:0123abcd", "parts:database.volumes"]);
    expect(runTags({ site: "acme", run: "r1", manifest: "m", parts: ["volumes"] })).toEqual(["site:acme", "run:r1", "manifest:m", "parts:volumes"]);
  });

  it("refuses a tag restic would split or a shell could misread", () => {
    expect(() => runTags({ site: "acme", run: "r1", commit: "a,b", manifest: "m", parts: [] })).toThrow(/not a valid snapshot tag/);
    expect(() => runTags({ site: "acme", run: "r 1", manifest: "m", parts: [] })).toThrow(/not a valid snapshot tag/);
  });
});
