import { join } from "node:path";
import { MAX_DEPTH } from "../../../controller/manifests/layout";
import type * as Load from "../../../controller/manifests/load";
import { packedBuffers, packRead, unpackRead } from "../../../controller/manifests/parsed-read";
import { readRepo, RepoRead } from "../../../controller/manifests/read";
import { syntheticRepo } from "../../../bench/synthetic";

// The files parsed on a worker thread (manifests/read-ahead.ts) must load exactly as the files
// parsed on the main thread: the same sites, invalid sites and errors, each error at the same
// file:line:column, including errors located from the parse's event table (a field's value)
// and those the reference parser locates (an unknown key, a duplicate domain).

const ROOT = join(__dirname, "../../..");

/** loadFiles of a fresh module: its remembered checks (last-result.ts) would answer the second load otherwise. */
function freshLoadFiles(): typeof Load.loadFiles {
  let loadFiles: typeof Load.loadFiles | undefined;
  jest.isolateModules(() => {
    loadFiles = (jest.requireActual("../../../controller/manifests/load") as typeof Load).loadFiles;
  });
  return loadFiles as typeof Load.loadFiles;
}

/** As the worker answers: packed, cloned across with its buffers moved, unpacked. */
function acrossThreads(read: RepoRead): RepoRead {
  const packed = packRead(read, MAX_DEPTH);
  return unpackRead(structuredClone(packed, { transfer: packedBuffers(packed) }));
}

function broken(read: RepoRead): RepoRead {
  const files = read.files.map((f) => {
    if (f.path === "sites/site3.yaml") return { ...f, text: f.text.replace("interval: 2", "interval: often") };
    if (f.path === "sites/site5.yaml") return { ...f, text: f.text.replace("site5.", "site6.") };
    if (f.path === "sites/site7.yaml") return { ...f, text: f.text.replace("spec:\n", "spec:\n  bogus: 1\n") };
    if (f.path === "sites/site8.yaml") return { ...f, text: f.text.replace("kind: Site", "kind: &k Site") };
    if (f.path === "sites/site9.yaml") return { ...f, text: `${f.text}\n  : [unclosed\n` };
    return f;
  });
  return { files, errors: read.errors };
}

describe("files parsed on another thread load as files parsed here", () => {
  const repos: Array<[string, () => Promise<RepoRead>]> = [
    ["sites.example", () => readRepo(join(ROOT, "sites.example"))],
    ["test/fixtures/manifests-valid", () => readRepo(join(ROOT, "test/fixtures/manifests-valid"))],
    ["test/fixtures/manifests-broken", () => readRepo(join(ROOT, "test/fixtures/manifests-broken"))],
    ["the bench's synthetic repository", async () => ({ files: syntheticRepo("bench", "site", 40), errors: [] })],
    ["the synthetic repository broken five ways", async () => broken({ files: syntheticRepo("bench", "site", 40), errors: [] })],
  ];

  it.each(repos)("%s", async (_name, read) => {
    const files = await read();
    const here = freshLoadFiles()(files.files, files.errors);
    const there = acrossThreads(files);
    expect(there.files).toEqual(files.files);
    expect(freshLoadFiles()(there.files, there.errors, there.parsed)).toEqual(here);
  });

  it("the broken repository reports each of its problems at its place (the comparison compares something)", async () => {
    const files = broken({ files: syntheticRepo("bench", "site", 40), errors: [] });
    const there = acrossThreads(files);
    const errors = freshLoadFiles()(there.files, there.errors, there.parsed).errors.map((e) => `${e.file}:${e.line}:${e.column}: ${e.path}`);
    expect(errors).toEqual([
      "sites/site3.yaml:8:29: spec.web.healthcheck.interval",
      "sites/site6.yaml:5:13: spec.domains[0]",
      "sites/site7.yaml:5:3: spec.bogus",
      "sites/site9.yaml:14:1: ",
    ]);
    // Off the fast path (an anchor): parsed on the main thread, as before.
    expect(there.parsed?.has("sites/site8.yaml")).toBe(false);
    expect(there.parsed?.has("sites/site7.yaml")).toBe(true);
  });
});
