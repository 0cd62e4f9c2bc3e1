import { execFileSync, spawn } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync, existsSync, mkdirSync } from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import os from "node:os";
import path from "node:path";
import { SourceConfigError, SourceUnreachableError } from "../../controller/source/errors";
import { openGitSource } from "../../controller/source/git";

/** Real git: a bare "forge" repo served over file://, pushed to from a separate work clone. */
const root = mkdtempSync(path.join(os.tmpdir(), "simulium-source-git-"));
const bare = path.join(root, "forge", "sites.git");
const work = path.join(root, "work");
const url = `file://${bare}`;

function git(cwd: string, ...args: string[]): string {
  return execFileSync("git", ["-c", "user.name=Ada Operator", "-c", "user.email=ada@example.org", ...args], {
    cwd,
    encoding: "utf8",
    env: { ...process.env, GIT_CONFIG_NOSYSTEM: "1", HOME: root },
  }).trim();
}

function commit(file: string, content: string, message: string): string {
  mkdirSync(path.dirname(path.join(work, file)), { recursive: true });
  writeFileSync(path.join(work, file), content);
  git(work, "add", "-A");
  git(work, "commit", "-q", "-m", message);
  return git(work, "rev-parse", "HEAD");
}

beforeAll(() => {
  mkdirSync(path.dirname(bare), { recursive: true });
  git(root, "init", "-q", "--bare", "-b", "main", bare);
  git(root, "init", "-q", "-b", "main", work);
  git(work, "remote", "add", "origin", url);
});

afterAll(() => {
  rmSync(root, { recursive: true, force: true });
});

/** Every file under dir whose bytes contain needle (the whole clone, objects included). */
function filesContaining(dir: string, needle: string): string[] {
  const hits: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (!entry.isFile()) continue;
    const file = path.join(entry.parentPath ?? entry.path, entry.name);
    if (readFileSync(file).includes(needle)) hits.push(file);
  }
  return hits;
}

describe("GitSource over file://", () => {
  const stateDir = path.join(root, "state-main");
  let first: string;
  let second: string;

  it("fetches the branch and checks it out on the first sync", async () => {
    first = commit("sites/acme.yaml", "name: acme\n", "Add acme");
    git(work, "push", "-q", "origin", "main");
    const source = await openGitSource({ stateDir, url, branch: "main" });
    expect(await source.headCommit()).toBeUndefined();
    const r = await source.sync();
    expect(r).toMatchObject({ sha: first, author: "Ada Operator", email: "ada@example.org", subject: "Add acme", forced: false, changed: true });
    expect(Date.parse(r.date)).not.toBeNaN();
    expect(readFileSync(path.join(source.dir, "sites/acme.yaml"), "utf8")).toBe("name: acme\n");
  });

  it("fast-forwards, reports no change when nothing was pushed, and discards local edits", async () => {
    const source = await openGitSource({ stateDir, url, branch: "main" });
    expect((await source.headCommit())?.sha).toBe(first);
    second = commit("sites/acme.yaml", "name: acme\nreplicas: 2\n", "Scale acme");
    git(work, "push", "-q", "origin", "main");
    expect(await source.sync()).toMatchObject({ sha: second, forced: false, changed: true });

    writeFileSync(path.join(source.dir, "sites/acme.yaml"), "tampered\n");
    writeFileSync(path.join(source.dir, "sites/stray.yaml"), "name: stray\n");
    expect(await source.sync()).toMatchObject({ sha: second, forced: false, changed: false });
    expect(readFileSync(path.join(source.dir, "sites/acme.yaml"), "utf8")).toBe("name: acme\nreplicas: 2\n");
    expect(existsSync(path.join(source.dir, "sites/stray.yaml"))).toBe(false);
  });

  it("detects a force-push that rewrote history", async () => {
    const source = await openGitSource({ stateDir, url, branch: "main" });
    git(work, "reset", "-q", "--hard", first);
    const rewritten = commit("sites/acme.yaml", "name: acme\nreplicas: 3\n", "Scale acme differently");
    git(work, "push", "-q", "--force", "origin", "main");
    const r = await source.sync();
    expect(r).toMatchObject({ sha: rewritten, forced: true, changed: true });
    // The next ordinary push is a fast-forward again.
    const next = commit("sites/beta.yaml", "name: beta\n", "Add beta");
    git(work, "push", "-q", "origin", "main");
    expect(await source.sync()).toMatchObject({ sha: next, forced: false, changed: true });
  });

  it("lists a file's history across a rename, newest first", async () => {
    git(work, "mv", "sites/beta.yaml", "sites/gamma.yaml");
    git(work, "commit", "-q", "-m", "Rename beta to gamma");
    const renamed = git(work, "rev-parse", "HEAD");
    commit("sites/gamma.yaml", "name: gamma\n", "Fix gamma name");
    git(work, "push", "-q", "origin", "main");
    const source = await openGitSource({ stateDir, url, branch: "main" });
    await source.sync();
    const history = await source.history("sites/gamma.yaml");
    expect(history.map((c) => c.subject)).toEqual(["Fix gamma name", "Rename beta to gamma", "Add beta"]);
    expect(history[1]?.sha).toBe(renamed);
    expect(history[0]).toMatchObject({ author: "Ada Operator", email: "ada@example.org" });
    expect(await source.history("sites/nope.yaml")).toEqual([]);
    await expect(source.history("../outside")).rejects.toBeInstanceOf(SourceConfigError);
  });

  it("throws SourceUnreachableError when the remote is gone and keeps the last commit checked out", async () => {
    const source = await openGitSource({ stateDir, url, branch: "main" });
    const before = await source.headCommit();
    expect(before).toBeDefined();
    const moved = `${bare}.moved`;
    renameSync(bare, moved);
    try {
      const err = await source.sync().then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(SourceUnreachableError);
      expect((err as SourceUnreachableError).reason).toBe("not-found");
      expect((await source.headCommit())?.sha).toBe(before?.sha);
      expect(readFileSync(path.join(source.dir, "sites/gamma.yaml"), "utf8")).toBe("name: gamma\n");
    } finally {
      renameSync(moved, bare);
    }
    expect(await source.sync()).toMatchObject({ sha: before?.sha, changed: false });
  });

  it("reports a missing branch as unreachable, not as an empty repository", async () => {
    const source = await openGitSource({ stateDir: path.join(root, "state-nobranch"), url, branch: "release" });
    await expect(source.sync()).rejects.toMatchObject({ kind: "source-unreachable", reason: "branch-missing" });
    expect(await source.headCommit()).toBeUndefined();
  });

  it("refuses a URL carrying a password without echoing it", async () => {
    const err = await openGitSource({ stateDir: path.join(root, "state-pw"), url: "https://bot:hunter2-token@example.invalid/o/r.git", branch: "main" }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(SourceConfigError);
    expect((err as Error).message).not.toContain("hunter2-token");
  });

  it("refuses unreadable credential files and option-like branch names", async () => {
    await expect(openGitSource({ stateDir: path.join(root, "s1"), url, branch: "main", credentials: { tokenFile: path.join(root, "missing") } })).rejects.toBeInstanceOf(
      SourceConfigError,
    );
    await expect(openGitSource({ stateDir: path.join(root, "s2"), url, branch: "--upload-pack=evil" })).rejects.toBeInstanceOf(SourceConfigError);
  });
});

describe("GitSource with an HTTPS-style token file", () => {
  const token = "tok_9f8e7d6c5b4a39281706";
  const tokenFile = path.join(root, "git-token");
  let server: http.Server;
  let httpUrl: string;
  const seenAuth: string[] = [];

  beforeAll(async () => {
    writeFileSync(tokenFile, `${token}\n`, { mode: 0o600 });
    // git's own smart-HTTP server (git http-backend as CGI) behind Basic auth: the real protocol.
    server = http.createServer((req, res) => {
      const auth = req.headers.authorization ?? "";
      seenAuth.push(auth);
      const [, password] = Buffer.from(auth.replace(/^Basic /, ""), "base64").toString().split(":");
      if (password !== token) {
        res.writeHead(401, { "WWW-Authenticate": 'Basic realm="git"' });
        res.end();
        return;
      }
      const [pathInfo = "", query = ""] = (req.url ?? "").replace(/^\/git/, "").split("?");
      const cgi = spawn("git", ["http-backend"], {
        env: {
          PATH: process.env.PATH ?? "",
          GIT_PROJECT_ROOT: path.dirname(bare),
          GIT_HTTP_EXPORT_ALL: "1",
          PATH_INFO: pathInfo,
          QUERY_STRING: query,
          REQUEST_METHOD: req.method ?? "GET",
          CONTENT_TYPE: req.headers["content-type"] ?? "",
          REMOTE_USER: "bot",
        },
      });
      req.pipe(cgi.stdin);
      let head = Buffer.alloc(0);
      let headerDone = false;
      cgi.stdout.on("data", (chunk: Buffer) => {
        if (headerDone) return void res.write(chunk);
        head = Buffer.concat([head, chunk]);
        const end = head.indexOf("\r\n\r\n");
        if (end < 0) return;
        headerDone = true;
        let status = 200;
        for (const line of head.subarray(0, end).toString().split("\r\n")) {
          const i = line.indexOf(":");
          const name = line.slice(0, i).trim();
          const value = line.slice(i + 1).trim();
          if (name.toLowerCase() === "status") status = Number(value.split(" ")[0]);
          else res.setHeader(name, value);
        }
        res.writeHead(status);
        res.write(head.subarray(end + 4));
      });
      cgi.on("close", () => res.end());
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    httpUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/git/sites.git`;
  });

  afterAll(async () => {
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  it("authenticates through the askpass helper; the token is in no file but the token file", async () => {
    const stateDir = path.join(root, "state-token");
    const source = await openGitSource({ stateDir, url: httpUrl, branch: "main", credentials: { tokenFile, username: "bot" } });
    const r = await source.sync();
    expect(r.sha).toBe(git(work, "rev-parse", "HEAD"));
    expect(seenAuth).toContain(`Basic ${Buffer.from(`bot:${token}`).toString("base64")}`);

    const config = readFileSync(path.join(stateDir, "repo", ".git", "config"), "utf8");
    expect(config).toContain(`url = ${httpUrl}`);
    expect(config).not.toContain(token);
    const askpass = path.join(stateDir, "askpass.sh");
    expect(readFileSync(askpass, "utf8")).not.toContain(token);
    expect(statSync(askpass).mode & 0o777).toBe(0o700);
    // No credential helper may have stored it either (we reset the helper list in the clone).
    expect(existsSync(path.join(root, ".git-credentials"))).toBe(false);
    expect(filesContaining(stateDir, token)).toEqual([]);
  });

  it("fails as an auth problem when the token is wrong, without printing it", async () => {
    const wrongFile = path.join(root, "wrong-token");
    writeFileSync(wrongFile, "tok_wrong_0000000000\n");
    const source = await openGitSource({ stateDir: path.join(root, "state-wrong"), url: httpUrl, branch: "main", credentials: { tokenFile: wrongFile } });
    const err = await source.sync().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(SourceUnreachableError);
    expect((err as SourceUnreachableError).reason).toBe("auth");
    expect((err as Error).message).not.toContain("tok_wrong_0000000000");
  });
});
