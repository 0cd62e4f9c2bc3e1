import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdirSync, writeFileSync } from "node:fs";
import http from "node:http";
import path from "node:path";
import type { RepoFile } from "../controller/manifests/read";
import { signatureHeader } from "../controller/source/webhook";

/**
 * The production source for figures 3 and 5: a bare "forge" repository served over file://,
 * a work tree an operator commits in, and the signed push webhook a forge would send.
 */
export interface Forge {
  readonly url: string;
  readonly secretFile: string;
  /** Writes the files, commits and pushes to main; returns the commit. */
  commit(files: readonly RepoFile[], message: string): string;
  /** POSTs a signed GitHub-style push event to the daemon; resolves to the HTTP status. */
  announce(port: number): Promise<number>;
}

export function createForge(root: string): Forge {
  const bare = path.join(root, "forge.git");
  const work = path.join(root, "work");
  const secret = randomBytes(24).toString("hex");
  const secretFile = path.join(root, "webhook-secret");
  writeFileSync(secretFile, `${secret}\n`, { mode: 0o600 });
  const git = (cwd: string, ...args: string[]): string =>
    execFileSync("git", ["-c", "user.name=Bench Operator", "-c", "user.email=bench@example.org", "-c", "commit.gpgsign=false", ...args], {
      cwd,
      encoding: "utf8",
      env: { ...process.env, GIT_CONFIG_NOSYSTEM: "1", HOME: root },
    }).trim();
  git(root, "init", "-q", "--bare", "-b", "main", bare);
  git(root, "init", "-q", "-b", "main", work);
  git(work, "remote", "add", "origin", `file://${bare}`);
  return {
    url: `file://${bare}`,
    secretFile,
    commit(files, message) {
      for (const f of files) {
        mkdirSync(path.dirname(path.join(work, f.path)), { recursive: true });
        writeFileSync(path.join(work, f.path), f.text);
      }
      git(work, "add", "-A");
      git(work, "commit", "-q", "-m", message);
      git(work, "push", "-q", "origin", "HEAD:main");
      return git(work, "rev-parse", "HEAD");
    },
    announce(port) {
      const body = JSON.stringify({ ref: "refs/heads/main" });
      const headers = { "Content-Type": "application/json", "X-GitHub-Event": "push", "X-Hub-Signature-256": signatureHeader(body, secret) };
      return new Promise((resolve, reject) => {
        const req = http.request({ host: "127.0.0.1", port, method: "POST", path: "/hooks/git", headers, agent: false }, (res) => {
          res.resume();
          res.on("end", () => resolve(res.statusCode ?? 0));
        });
        req.on("error", reject);
        req.end(body);
      });
    },
  };
}
