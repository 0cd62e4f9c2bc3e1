import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { execFileSync } from "node:child_process";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { MAX_FILE_BYTES } from "../../../controller/manifests/layout";
import { loadRepo } from "../../../controller/manifests/load";
import { readRepo } from "../../../controller/manifests/read";
import { siteYaml } from "./helpers";

// The read edge against a real file system (temporary directories, removed afterwards).
describe("reading a repository from disk", () => {
  let base: string;
  let repo: string;
  beforeEach(() => {
    base = mkdtempSync(join(tmpdir(), "simulium-read-"));
    repo = join(base, "repo");
    mkdirSync(join(repo, "sites"), { recursive: true });
    writeFileSync(join(repo, "sites", "good.yaml"), siteYaml("good", ["good.org"]));
  });
  afterEach(() => rmSync(base, { recursive: true, force: true }));

  const problems = async (): Promise<string[][]> => (await loadRepo(repo)).errors.map((e) => [e.file, e.message, e.site ?? ""]);

  it("loads a good site and ignores .md notes and hidden files", async () => {
    writeFileSync(join(repo, "sites", "README.md"), "# notes\n");
    writeFileSync(join(repo, "sites", ".gitkeep"), "");
    const r = await loadRepo(repo);
    expect(r.errors).toEqual([]);
    expect(r.sites.map((s) => s.name)).toEqual(["good"]);
    expect(r.cluster?.instance).toBe("simulium");
  });

  it("refuses .yml, telling to rename, and keeps the site as invalid rather than absent", async () => {
    writeFileSync(join(repo, "sites", "acme.yml"), siteYaml());
    expect(await problems()).toEqual([["sites/acme.yml", "site manifests use the .yaml extension: rename to acme.yaml", "acme"]]);
    expect((await loadRepo(repo)).invalidSites).toEqual(["acme"]);
  });

  it("refuses other files and bad file names", async () => {
    writeFileSync(join(repo, "sites", "acme.json"), "{}");
    writeFileSync(join(repo, "sites", "Bad_Name.yaml"), siteYaml());
    expect(await problems()).toEqual([
      ["sites/Bad_Name.yaml", "the file name is not a valid site name: use lower-case letters, digits and '-', starting with a letter, at most 40 characters", ""],
      ["sites/acme.json", "is not a site manifest: sites/ holds only <site>.yaml files (and .md notes)", ""],
    ]);
  });

  it("refuses a directory in sites/", async () => {
    mkdirSync(join(repo, "sites", "acme.yaml"));
    expect(await problems()).toEqual([["sites/acme.yaml", "is a directory: sites/ holds only <site>.yaml files", "acme"]]);
  });

  it("refuses a file over the size cap without reading it", async () => {
    writeFileSync(join(repo, "sites", "huge.yaml"), Buffer.alloc(10 * 1024 * 1024, 0x61));
    expect(await problems()).toEqual([["sites/huge.yaml", "is larger than the 256 KiB limit for a manifest: refused", "huge"]]);
  });

  it("accepts a file exactly at the cap (as far as size goes)", async () => {
    const text = siteYaml("edge", ["edge.org"]);
    writeFileSync(join(repo, "sites", "edge.yaml"), text + "#".repeat(MAX_FILE_BYTES - Buffer.byteLength(text)));
    const r = await loadRepo(repo);
    expect(r.errors).toEqual([]);
    expect(r.sites.map((s) => s.name)).toEqual(["edge", "good"]);
  });

  it("refuses a symlink that resolves outside the repository, and allows one inside", async () => {
    writeFileSync(join(base, "outside.yaml"), siteYaml("evil", ["evil.org"]));
    symlinkSync(join(base, "outside.yaml"), join(repo, "sites", "evil.yaml"));
    symlinkSync("/etc/passwd", join(repo, "sites", "passwd.yaml"));
    mkdirSync(join(repo, "shared"));
    writeFileSync(join(repo, "shared", "inner.yaml"), siteYaml("inner", ["inner.org"]));
    symlinkSync("../shared/inner.yaml", join(repo, "sites", "inner.yaml"));
    const r = await loadRepo(repo);
    expect(r.errors.map((e) => [e.file, e.message])).toEqual([
      ["sites/evil.yaml", "is a symbolic link that resolves outside the repository: refused"],
      ["sites/passwd.yaml", "is a symbolic link that resolves outside the repository: refused"],
    ]);
    expect(r.sites.map((s) => s.name)).toEqual(["good", "inner"]);
    expect(r.invalidSites).toEqual(["evil", "passwd"]);
  });

  it("refuses a dangling symlink", async () => {
    symlinkSync(join(repo, "nowhere.yaml"), join(repo, "sites", "gone.yaml"));
    expect(await problems()).toEqual([["sites/gone.yaml", "is a symbolic link to a file that does not exist", "gone"]]);
  });

  it("refuses a sites/ directory that is a symlink out of the repository", async () => {
    rmSync(join(repo, "sites"), { recursive: true });
    mkdirSync(join(base, "elsewhere"));
    symlinkSync(join(base, "elsewhere"), join(repo, "sites"));
    const r = await loadRepo(repo);
    expect(r.cluster).toBeUndefined();
    expect(r.errors.map((e) => [e.file, e.message])).toEqual([["sites", "is a symbolic link that resolves outside the repository: refused"]]);
  });

  it("refuses a simulium.yaml symlinked out of the repository", async () => {
    writeFileSync(join(base, "cluster.yaml"), "apiVersion: simulium/v1\nkind: Cluster\n");
    symlinkSync(join(base, "cluster.yaml"), join(repo, "simulium.yaml"));
    const r = await loadRepo(repo);
    expect(r.cluster).toBeUndefined();
    expect(r.errors.map((e) => [e.file, e.message])).toEqual([["simulium.yaml", "is a symbolic link that resolves outside the repository: refused"]]);
  });

  it("reads every file of a repository larger than one read batch, in name order, with a bad one among them", async () => {
    const names = Array.from({ length: 600 }, (_, i) => `s${String(i).padStart(3, "0")}`);
    for (const n of names) writeFileSync(join(repo, "sites", `${n}.yaml`), `# ${n}\n`);
    writeFileSync(join(repo, "sites", "s300.yaml"), Buffer.from([0xff, 0xfe]));
    const r = await readRepo(repo);
    expect(r.files.map((f) => f.path)).toEqual(["sites/good.yaml", ...names.filter((n) => n !== "s300").map((n) => `sites/${n}.yaml`)].sort());
    expect(r.files.find((f) => f.path === "sites/s599.yaml")?.text).toBe("# s599\n");
    expect(r.errors.map((e) => [e.file, e.message])).toEqual([["sites/s300.yaml", "is not valid UTF-8 text"]]);
  });

  it("refuses a FIFO instead of blocking on it", async () => {
    execFileSync("mkfifo", [join(repo, "sites", "pipe.yaml")]);
    expect(await problems()).toEqual([["sites/pipe.yaml", "is not a regular file", "pipe"]]);
  });

  it("refuses a file that is not UTF-8", async () => {
    writeFileSync(join(repo, "sites", "latin.yaml"), Buffer.from([0x6b, 0x69, 0x6e, 0x64, 0x3a, 0x20, 0xe9, 0x0a]));
    expect(await problems()).toEqual([["sites/latin.yaml", "is not valid UTF-8 text", "latin"]]);
  });

  it("reports a repository without sites/ and blocks the cluster", async () => {
    rmSync(join(repo, "sites"), { recursive: true });
    const r = await loadRepo(repo);
    expect(r.cluster).toBeUndefined();
    expect(r.errors.map((e) => [e.file, e.message])).toEqual([["sites", "the repository has no sites/ directory (is --repo the manifests repository?)"]]);
  });

  it("reports a repository directory that does not exist", async () => {
    const r = await readRepo(join(base, "missing"));
    expect(r.files).toEqual([]);
    expect(r.errors[0]).toMatchObject({ file: ".", line: 0, message: expect.stringMatching(/does not exist or is not a directory$/) });
  });
});
