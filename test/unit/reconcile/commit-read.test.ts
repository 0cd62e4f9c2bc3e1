import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { loadFiles } from "../../../controller/manifests/load";
import { readRepo } from "../../../controller/manifests/read";
import { formatError } from "../../../controller/manifests/format";
import { openGitSource } from "../../../controller/source/git";
import { readCommit } from "../../../controller/reconcile/commit-read";
import { parseCatFile } from "../../../controller/source/git-objects";
import { testGit } from "../../support/daemon";

/**
 * The daemon's runs read their commit's manifests from git's objects (reconcile/commit-read.ts):
 * another run's fetch checks out a newer commit in the same clone meanwhile. The read follows
 * the working-tree read's rules and words exactly (compared on one repository full of odd
 * entries), and a checkout beside it changes nothing of what it reads.
 */
const root = mkdtempSync(path.join(os.tmpdir(), "simulium-tree-"));
const bare = path.join(root, "forge.git");
const work = path.join(root, "work");
const outside = path.join(root, "outside.yaml");
const git = testGit(root);
const site = (name: string, image: string) => `apiVersion: simulium/v1\nkind: Site\nmetadata: {name: ${name}}\nspec:\n  domains: [${name}.org]\n  web: {image: "${image}"}\n`;

afterAll(() => rmSync(root, { recursive: true, force: true }));

function commitAll(message: string): string {
  git(work, "add", "-A");
  git(work, "commit", "-q", "-m", message);
  git(work, "push", "-q", "origin", "HEAD:main");
  return git(work, "rev-parse", "HEAD");
}

test("a commit's manifests read from git objects equal the working tree's read, odd entries included, and a checkout beside it changes nothing", async () => {
  git(root, "init", "-q", "--bare", "-b", "main", bare);
  mkdirSync(path.join(work, "sites", "nested.yaml"), { recursive: true });
  mkdirSync(path.join(work, "shared"), { recursive: true });
  git(work, "init", "-q", "-b", "main");
  git(work, "remote", "add", "origin", bare);
  writeFileSync(outside, site("stolen", "x:1"));
  writeFileSync(path.join(work, "simulium.yaml"), "apiVersion: simulium/v1\nkind: Cluster\nmetadata: {name: tree}\n");
  writeFileSync(path.join(work, "sites", "acme.yaml"), site("acme", "drupal:10.2"));
  writeFileSync(path.join(work, "sites", "beta.yaml"), "apiVersion: simulium/v1\nkind: Site\nmetadata: {name: beta}\nspec:\n  domains: 42\n  web: {image: \"drupal:10\"}\n");
  writeFileSync(path.join(work, "shared", "linked.yaml"), site("linked", "drupal:10.2"));
  symlinkSync("../shared/linked.yaml", path.join(work, "sites", "linked.yaml"));
  symlinkSync(outside, path.join(work, "sites", "escape.yaml"));
  symlinkSync("../shared/none.yaml", path.join(work, "sites", "dangling.yaml"));
  writeFileSync(path.join(work, "sites", "nested.yaml", "x.yaml"), site("x", "x:1"));
  writeFileSync(path.join(work, "sites", "huge.yaml"), `# ${"x".repeat(300 * 1024)}\n`);
  writeFileSync(path.join(work, "sites", "latin.yaml"), Buffer.from([0x23, 0x20, 0xe9, 0x0a]));
  writeFileSync(path.join(work, "sites", "old.yml"), site("old", "x:1"));
  writeFileSync(path.join(work, "sites", "README.md"), "notes\n");
  writeFileSync(path.join(work, "sites", ".gitkeep"), "");
  writeFileSync(path.join(work, "sites", "Bad_Name.yaml"), site("bad", "x:1"));
  const first = commitAll("odd entries");

  const source = await openGitSource({ stateDir: path.join(root, "state"), url: `file://${bare}`, branch: "main" });
  expect((await source.sync()).sha).toBe(first);
  const fromTree = await readCommit(source, first);
  expect(fromTree).toEqual(await readRepo(source.dir));
  expect(fromTree.files.map((f) => f.path)).toEqual(["simulium.yaml", "sites/acme.yaml", "sites/beta.yaml", "sites/linked.yaml"]);
  expect(fromTree.errors.map((e) => `${e.file}: ${e.message}`)).toEqual(
    expect.arrayContaining([
      expect.stringMatching(/^sites\/escape\.yaml: is a symbolic link that resolves outside/),
      expect.stringMatching(/^sites\/dangling\.yaml: is a symbolic link to a file that does not exist/),
      expect.stringMatching(/^sites\/huge\.yaml: is larger than/),
      expect.stringMatching(/^sites\/latin\.yaml: is not valid UTF-8/),
      expect.stringMatching(/^sites\/nested\.yaml: is a directory/),
    ]),
  );
  // An invalid manifest is located (file, line, column, field) as from the working tree.
  const load = loadFiles(fromTree.files, fromTree.errors);
  expect(load.errors.filter((e) => e.site === "beta").map(formatError)).toEqual([expect.stringMatching(/^sites\/beta\.yaml:5:\d+: spec\.domains: /)]);

  // Another run fetches a commit that removes acme: the clone's working tree moves, the read of the first commit does not.
  rmSync(path.join(work, "sites", "acme.yaml"));
  const second = commitAll("acme goes");
  expect((await source.sync()).sha).toBe(second);
  expect((await readRepo(source.dir)).files.map((f) => f.path)).not.toContain("sites/acme.yaml");
  expect(await readCommit(source, first)).toEqual(fromTree);
  expect((await readCommit(source, second)).files.map((f) => f.path)).not.toContain("sites/acme.yaml");
  await expect(readCommit(source, "not-a-sha")).rejects.toThrow(/not a commit id/);
}, 30_000);

test("a repository without sites/, or with a file named so, says so like the working-tree read", async () => {
  const solo = path.join(root, "solo");
  const soloBare = path.join(root, "solo.git");
  git(root, "init", "-q", "--bare", "-b", "main", soloBare);
  git(root, "init", "-q", "-b", "main", solo);
  writeFileSync(path.join(solo, "simulium.yaml"), "apiVersion: simulium/v1\nkind: Cluster\nmetadata: {name: solo}\n");
  git(solo, "add", "-A");
  git(solo, "commit", "-q", "-m", "no sites");
  git(solo, "push", "-q", soloBare, "HEAD:main");
  const source = await openGitSource({ stateDir: path.join(root, "solo-state"), url: `file://${soloBare}`, branch: "main" });
  const sha = (await source.sync()).sha;
  expect(await readCommit(source, sha)).toEqual(await readRepo(source.dir));
  writeFileSync(path.join(solo, "sites"), "not a directory\n");
  git(solo, "add", "-A");
  git(solo, "commit", "-q", "-m", "sites is a file");
  git(solo, "push", "-q", soloBare, "HEAD:main");
  const next = (await source.sync()).sha;
  expect(await readCommit(source, next)).toEqual(await readRepo(source.dir));
}, 30_000);

test("cat-file answers: contents by size, links that leave the repository or lead nowhere, missing paths", () => {
  const oid = "a".repeat(40);
  const out = Buffer.concat([
    Buffer.from(`${oid} blob 3\nab\n\n`),
    Buffer.from("symlink 4\n/etc\n"),
    Buffer.from("dangling 8\nsites/x\n\n"),
    Buffer.from(`${oid}:sites/y.yaml missing\n`),
    Buffer.from(`${oid} tree 10\n0123456789\n`),
  ]);
  expect(parseCatFile(out, true)).toEqual([
    { kind: "blob", oid, size: 3, content: Buffer.from("ab\n") },
    { kind: "outside" },
    { kind: "dangling" },
    { kind: "missing" },
    { kind: "tree", oid },
  ]);
});
