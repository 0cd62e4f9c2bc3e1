import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { LOCAL_SHA, openDirectorySource } from "../../controller/source/directory";

/** The local development loop against a real directory, real git and real file events. */
const root = mkdtempSync(path.join(os.tmpdir(), "simulium-source-dir-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));

function git(cwd: string, ...args: string[]): string {
  return execFileSync("git", ["-c", "user.name=Dev", "-c", "user.email=dev@example.org", ...args], { cwd, encoding: "utf8" }).trim();
}

describe("directory source", () => {
  it('is "local" outside git, and changed only when content changes', async () => {
    const dir = path.join(root, "plain");
    mkdirSync(path.join(dir, "sites"), { recursive: true });
    writeFileSync(path.join(dir, "sites/acme.yaml"), "name: acme\n");
    const source = openDirectorySource(dir);
    expect(await source.sync()).toMatchObject({ sha: LOCAL_SHA, changed: true, forced: false });
    expect(await source.sync()).toMatchObject({ sha: LOCAL_SHA, changed: false });
    writeFileSync(path.join(dir, "sites/acme.yaml"), "name: acme\n"); // saved again, same bytes
    expect((await source.sync()).changed).toBe(false);
    writeFileSync(path.join(dir, "sites/acme.yaml"), "name: acme\nreplicas: 2\n");
    expect((await source.sync()).changed).toBe(true);
  });

  it("uses the HEAD sha when clean and local with uncommitted changes in the directory", async () => {
    const repo = path.join(root, "repo");
    mkdirSync(path.join(repo, "manifests", "sites"), { recursive: true });
    mkdirSync(path.join(repo, "other"), { recursive: true });
    git(root, "init", "-q", "-b", "main", repo);
    writeFileSync(path.join(repo, "manifests/sites/acme.yaml"), "name: acme\n");
    git(repo, "add", "-A");
    git(repo, "commit", "-q", "-m", "Add acme");
    const head = git(repo, "rev-parse", "HEAD");
    const source = openDirectorySource(path.join(repo, "manifests"));
    expect(await source.sync()).toMatchObject({ sha: head, subject: "Add acme", author: "Dev" });
    // Changes outside the manifests directory do not make it dirty.
    writeFileSync(path.join(repo, "other/notes.txt"), "x\n");
    expect((await source.headCommit())?.sha).toBe(head);
    writeFileSync(path.join(repo, "manifests/sites/beta.yaml"), "name: beta\n");
    expect(await source.sync()).toMatchObject({ sha: LOCAL_SHA, changed: true });
  });

  it("watch() calls back once per burst of edits, ignores .git, and stops when closed", async () => {
    const dir = path.join(root, "watched");
    mkdirSync(path.join(dir, ".git"), { recursive: true });
    mkdirSync(path.join(dir, "sites"), { recursive: true });
    const source = openDirectorySource(dir);
    let calls = 0;
    const close = await source.watch(() => calls++, { debounceMs: 150 });
    try {
      writeFileSync(path.join(dir, ".git/index"), "noise");
      await sleep(400);
      expect(calls).toBe(0);
      for (let i = 0; i < 5; i++) writeFileSync(path.join(dir, `sites/s${i}.yaml`), `name: s${i}\n`);
      await waitFor(() => calls > 0, 3_000);
      await sleep(400);
      expect(calls).toBe(1);
    } finally {
      await close();
    }
    writeFileSync(path.join(dir, "sites/after.yaml"), "name: after\n");
    await sleep(400);
    expect(calls).toBe(1);
  });
});

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

async function waitFor(cond: () => boolean, timeoutMs: number): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > end) throw new Error("condition not met in time");
    await sleep(25);
  }
}
