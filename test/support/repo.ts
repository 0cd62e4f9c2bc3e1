import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { simpleGit } from "simple-git";

/** Writes files (paths relative to `dir`, folders made as needed): a manifests tree for a test. */
export function writeFiles(dir: string, files: Record<string, string>): void {
  for (const [file, text] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
    writeFileSync(path.join(dir, file), text);
  }
}

/** A manifests repository in a temporary git work tree, edited and committed by tests. */
export interface TestRepo {
  readonly dir: string;
  write(file: string, text: string): void;
  remove(file: string): void;
  commit(message: string): Promise<string>;
  cleanup(): void;
}

export async function createRepo(files: Record<string, string>): Promise<TestRepo> {
  const dir = mkdtempSync(path.join(os.tmpdir(), "simulium-repo-"));
  const git = simpleGit(dir);
  await git.init();
  await git.addConfig("user.name", "Test Operator");
  await git.addConfig("user.email", "operator@example.org");
  await git.addConfig("commit.gpgsign", "false");
  const repo: TestRepo = {
    dir,
    write(file, text) {
      writeFiles(dir, { [file]: text });
    },
    remove(file) {
      rmSync(path.join(dir, file), { force: true });
    },
    async commit(message) {
      await git.add(["-A"]);
      await git.commit(message, { "--allow-empty": null });
      return (await git.revparse(["HEAD"])).trim();
    },
    cleanup() {
      rmSync(dir, { recursive: true, force: true });
    },
  };
  for (const [file, text] of Object.entries(files)) repo.write(file, text);
  await repo.commit("initial");
  return repo;
}
