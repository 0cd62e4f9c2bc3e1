import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { openGitSource, parseLsRemoteHeads } from "../../../controller/source/git";
import { testGit } from "../../support/daemon";

/**
 * What branch previews need of the git source, against a real bare repository over file://:
 * the remote's branches (`ls-remote --heads`), and a branch head's manifests fetched by its
 * ref; nothing but a pull request's or a branch's ref is ever fetched.
 */
const root = mkdtempSync(path.join(os.tmpdir(), "simulium-branches-"));
const bare = path.join(root, "forge.git");
const work = path.join(root, "work");
const git = testGit(root);
const site = (image: string) => `apiVersion: simulium/v1\nkind: Site\nmetadata: {name: acme}\nspec:\n  domains: [acme.org]\n  web: {image: "${image}"}\n`;

afterAll(() => rmSync(root, { recursive: true, force: true }));

test("lists the remote's branches, follows pushes and deletions, and reads a branch head's manifests", async () => {
  git(root, "init", "-q", "--bare", "-b", "main", bare);
  mkdirSync(path.join(work, "sites"), { recursive: true });
  git(work, "init", "-q", "-b", "main");
  git(work, "remote", "add", "origin", bare);
  writeFileSync(path.join(work, "sites", "acme.yaml"), site("drupal:10.2"));
  git(work, "add", "-A");
  git(work, "commit", "-q", "-m", "production");
  git(work, "push", "-q", "origin", "HEAD:main");
  const main = git(work, "rev-parse", "HEAD");
  git(work, "switch", "-q", "-c", "preview/theme");
  writeFileSync(path.join(work, "sites", "acme.yaml"), site("drupal:10.3"));
  git(work, "commit", "-q", "-am", "new theme");
  git(work, "push", "-q", "origin", "preview/theme");
  const theme = git(work, "rev-parse", "HEAD");

  const source = await openGitSource({ stateDir: path.join(root, "state"), url: `file://${bare}`, branch: "main" });
  await source.sync();
  expect(await source.remoteBranches()).toEqual(new Map([["main", main], ["preview/theme", theme]]));
  // The branch's head is not in the clone yet: fetched by its ref, then read.
  const files = await source.manifestsAt(theme, "refs/heads/preview/theme");
  expect(files.get("sites/acme.yaml")).toContain("drupal:10.3");

  git(work, "push", "-q", "origin", "--delete", "preview/theme");
  expect(await source.remoteBranches()).toEqual(new Map([["main", main]]));
  // Refs that are neither a pull request's nor a branch are refused before git runs.
  await expect(source.manifestsAt(theme, "refs/heads/../../etc")).rejects.toThrow(/not a pull request or branch ref/);
  await expect(source.manifestsAt(theme, "--upload-pack=touch /tmp/x")).rejects.toThrow(/not a pull request or branch ref/);
}, 30_000);

test("ls-remote output: heads only, odd names skipped", () => {
  const a = "a".repeat(40);
  const b = "b".repeat(40);
  const out = [`${a}\trefs/heads/main`, `${b}\trefs/heads/preview/x`, `${a}\trefs/tags/v1`, `${b}\trefs/heads/-evil`, `${a}\trefs/heads/a..b`, "garbage", ""].join("\n");
  expect(parseLsRemoteHeads(out)).toEqual(new Map([["main", a], ["preview/x", b]]));
});
