import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import os from "node:os";
import path from "node:path";
import { createPullRequestComments, loadPullRequestComments, ownComments, repositoryPathFromUrl } from "../../../controller/daemon/forge-comments";
import { NotifyConfigError } from "../../../controller/daemon/notify";

/**
 * The plan comment against a real local HTTP server standing in for the forges' APIs
 * (GitHub's issue comments, GitLab's merge request notes): created once, edited in place on
 * every later push, never duplicated, found again by a restarted daemon, never someone else's.
 */
const TOKEN = "forge-token-value-123";
const marker = "<!-- simulium-plan:prod -->";

interface Stored {
  id: number;
  body: string;
  author: string;
  system?: boolean;
}

interface Forge {
  readonly url: string;
  readonly comments: Map<string, Stored[]>;
  readonly requests: { method: string; path: string; auth: string | undefined }[];
  /** The listing lags behind creations (as GitHub's may just after a POST). */
  lagging: boolean;
  redirectEverything: boolean;
  /** The token may edit anyone's comment (a repository admin's). */
  admin: boolean;
  self: string | undefined;
  /** How many /user requests fail with 502 before it answers. */
  userFailures: number;
  close(): Promise<void>;
}

async function startForge(kind: "github" | "gitlab"): Promise<Forge> {
  let next = 1000;
  const comments = new Map<string, Stored[]>();
  const hidden = new Set<number>();
  const forge: Omit<Forge, "url" | "close"> = { comments, requests: [], lagging: false, redirectEverything: false, admin: false, self: "simulium-bot", userFailures: 0 };
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const url = new URL(req.url ?? "/", "http://x");
      const auth = kind === "github" ? req.headers.authorization : (req.headers["private-token"] as string | undefined);
      forge.requests.push({ method: req.method ?? "", path: url.pathname + url.search, auth });
      const send = (status: number, body?: unknown) => {
        res.writeHead(status, { "Content-Type": "application/json" });
        res.end(body === undefined ? "" : JSON.stringify(body));
      };
      if (forge.redirectEverything) {
        res.writeHead(302, { Location: "/steal" });
        res.end();
        return;
      }
      if (auth !== (kind === "github" ? `token ${TOKEN}` : TOKEN)) return send(401, { message: "Bad credentials" });
      const body = chunks.length > 0 ? (JSON.parse(Buffer.concat(chunks).toString()) as { body: string }) : undefined;
      const shape = (c: Stored) => (kind === "github" ? { id: c.id, body: c.body, user: { login: c.author } } : { id: c.id, body: c.body, author: { username: c.author }, system: c.system ?? false });
      if (url.pathname === "/api/user" && forge.userFailures > 0) {
        forge.userFailures--;
        return send(502, { message: "Bad gateway" });
      }
      if (url.pathname === "/api/user") return forge.self ? send(200, kind === "github" ? { login: forge.self } : { username: forge.self }) : send(403, { message: "Resource not accessible by integration" });
      const gh = /^\/api\/repos\/ops\/sites\/issues\/(\d+)\/comments$/.exec(url.pathname);
      const ghEdit = /^\/api\/repos\/ops\/sites\/issues\/comments\/(\d+)$/.exec(url.pathname);
      const gl = /^\/api\/projects\/group%2Fsub%2Fsites\/merge_requests\/(\d+)\/notes$/.exec(req.url?.split("?")[0] ?? "");
      const glEdit = /^\/api\/projects\/group%2Fsub%2Fsites\/merge_requests\/(\d+)\/notes\/(\d+)$/.exec(req.url?.split("?")[0] ?? "");
      const list = kind === "github" ? gh : gl;
      if (list && req.method === "GET") {
        const all = (comments.get(list[1] ?? "") ?? []).filter((c) => !hidden.has(c.id));
        const per = Number(url.searchParams.get("per_page") ?? 30);
        const page = Number(url.searchParams.get("page") ?? 1);
        return send(200, all.slice((page - 1) * per, page * per).map(shape));
      }
      if (list && req.method === "POST" && body) {
        const c = { id: next++, body: body.body, author: forge.self ?? "app[bot]" };
        comments.set(list[1] ?? "", [...(comments.get(list[1] ?? "") ?? []), c]);
        if (forge.lagging) hidden.add(c.id);
        return send(201, shape(c));
      }
      const edit = kind === "github" ? (ghEdit && req.method === "PATCH" ? ghEdit[1] : undefined) : glEdit && req.method === "PUT" ? glEdit[2] : undefined;
      if (edit !== undefined && body) {
        const c = [...comments.values()].flat().find((x) => x.id === Number(edit));
        if (!c) return send(404, { message: "Not Found" });
        if (!forge.admin && c.author !== (forge.self ?? "app[bot]")) return send(403, { message: "not yours" });
        c.body = body.body;
        return send(200, shape(c));
      }
      send(404, { message: "no route" });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return Object.assign(forge, {
    url: `http://127.0.0.1:${port}/api`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  });
}

const body = (n: number) => `${marker}\n### plan ${n}\n`;

describe("the plan comment on GitHub (issue comments API)", () => {
  let forge: Forge;
  beforeEach(async () => {
    forge = await startForge("github");
  });
  afterEach(() => forge.close());

  it("creates one comment, edits it on every push, and a restarted daemon finds it again", async () => {
    const client = createPullRequestComments({ api: forge.url, token: TOKEN, repository: "ops/sites" });
    const pr = { provider: "github" as const, number: 42 };
    expect(await client.upsert(pr, marker, body(1))).toMatchObject({ ok: true, action: "created" });
    expect(await client.upsert(pr, marker, body(2))).toMatchObject({ ok: true, action: "updated" });
    expect(await client.upsert(pr, marker, body(3))).toMatchObject({ ok: true, action: "updated" });
    expect(forge.comments.get("42")?.map((c) => c.body)).toEqual([body(3)]);

    // A new process: nothing remembered, the marker and our login find the same comment.
    const restarted = createPullRequestComments({ api: forge.url, token: TOKEN, repository: "ops/sites" });
    expect(await restarted.upsert(pr, marker, body(3))).toMatchObject({ ok: true, action: "unchanged" });
    expect(await restarted.upsert(pr, marker, body(4))).toMatchObject({ ok: true, action: "updated" });
    expect(forge.comments.get("42")?.map((c) => c.body)).toEqual([body(4)]);
    // Every request carried the token, and only as the Authorization header.
    expect(forge.requests.every((r) => r.auth === `token ${TOKEN}` && !r.path.includes(TOKEN))).toBe(true);
    expect(forge.requests.filter((r) => r.method === "POST")).toHaveLength(1);
  });

  it("a listing that lags behind the creation does not make a second comment", async () => {
    forge.lagging = true;
    const client = createPullRequestComments({ api: forge.url, token: TOKEN, repository: "ops/sites" });
    const pr = { provider: "github" as const, number: 7 };
    await client.upsert(pr, marker, body(1));
    await client.upsert(pr, marker, body(2));
    expect(forge.comments.get("7")?.map((c) => c.body)).toEqual([body(2)]);
  });

  it("ignores a comment of someone else that carries the marker (even with an admin's token), and pages through long conversations", async () => {
    forge.admin = true;
    const others: Stored[] = Array.from({ length: 230 }, (_, i) => ({ id: i + 1, body: i === 3 ? `${marker}\nfake plan: all good` : `comment ${i}`, author: "mallory" }));
    forge.comments.set("9", others);
    const client = createPullRequestComments({ api: forge.url, token: TOKEN, repository: "ops/sites" });
    const pr = { provider: "github" as const, number: 9 };
    expect(await client.upsert(pr, marker, body(1))).toMatchObject({ ok: true, action: "created" });
    const restarted = createPullRequestComments({ api: forge.url, token: TOKEN, repository: "ops/sites" });
    expect(await restarted.upsert(pr, marker, body(2))).toMatchObject({ ok: true, action: "updated" });
    const comments = forge.comments.get("9") ?? [];
    expect(comments.find((c) => c.id === 4)?.body).toBe(`${marker}\nfake plan: all good`);
    expect(comments.filter((c) => c.body.startsWith(marker) && c.author === "simulium-bot").map((c) => c.body)).toEqual([body(2)]);
    // Three pages of 100 read to find ours at the end.
    expect(forge.requests.filter((r) => r.method === "GET" && r.path.includes("/issues/9/comments")).length).toBeGreaterThanOrEqual(6);
  });

  it("a forge that fails to say who we are: this comment waits, nothing is edited by its marker alone, and the next push finds ours", async () => {
    forge.admin = true;
    forge.userFailures = 1;
    forge.comments.set("11", [{ id: 1, body: `${marker}\nplanted by the author`, author: "mallory" }]);
    const pr = { provider: "github" as const, number: 11 };
    const client = createPullRequestComments({ api: forge.url, token: TOKEN, repository: "ops/sites" });
    expect(await client.upsert(pr, marker, body(1))).toMatchObject({ ok: false, error: expect.stringContaining("HTTP 502") });
    expect(await client.upsert(pr, marker, body(2))).toMatchObject({ ok: true, action: "created" });
    expect(await client.upsert(pr, marker, body(3))).toMatchObject({ ok: true, action: "updated" });
    expect(forge.comments.get("11")?.map((c) => [c.author, c.body])).toEqual([
      ["mallory", `${marker}\nplanted by the author`],
      ["simulium-bot", body(3)],
    ]);
  });

  it("without a user behind the token (an app), a marker comment it cannot edit is skipped, not retried forever", async () => {
    forge.self = undefined;
    forge.comments.set("5", [{ id: 1, body: `${marker}\nby hand`, author: "mallory" }]);
    const pr = { provider: "github" as const, number: 5 };
    const client = createPullRequestComments({ api: forge.url, token: TOKEN, repository: "ops/sites" });
    expect(await client.upsert(pr, marker, body(1))).toMatchObject({ ok: true, action: "created" });
    const restarted = createPullRequestComments({ api: forge.url, token: TOKEN, repository: "ops/sites" });
    expect(await restarted.upsert(pr, marker, body(2))).toMatchObject({ ok: true, action: "updated" });
    expect(forge.comments.get("5")?.map((c) => [c.author, c.body])).toEqual([
      ["mallory", `${marker}\nby hand`],
      ["app[bot]", body(2)],
    ]);
  });

  it("never follows a redirect with the token, and says what failed without it", async () => {
    forge.redirectEverything = true;
    const client = createPullRequestComments({ api: forge.url, token: TOKEN, repository: "ops/sites" });
    const r = await client.upsert({ provider: "github", number: 1 }, marker, body(1));
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.error).toContain("127.0.0.1");
      expect(r.error).not.toContain(TOKEN);
    }
    expect(forge.requests.every((q) => !q.path.includes("steal"))).toBe(true);
  });

  it("a wrong token: an error with the HTTP status, nothing created", async () => {
    const client = createPullRequestComments({ api: forge.url, token: "wrong", repository: "ops/sites" });
    const r = await client.upsert({ provider: "github", number: 1 }, marker, body(1));
    expect(r).toEqual({ ok: false, error: expect.stringMatching(/listing the comments: HTTP 401/) });
    expect(forge.comments.size).toBe(0);
  });
});

describe("the plan comment on GitLab (merge request notes API)", () => {
  let forge: Forge;
  beforeEach(async () => {
    forge = await startForge("gitlab");
  });
  afterEach(() => forge.close());

  it("creates one note, edits it with PUT, skips system notes, and a restart finds it again", async () => {
    forge.comments.set("3", [{ id: 1, body: `${marker} added 1 commit`, author: "simulium-bot", system: true }]);
    const pr = { provider: "gitlab" as const, number: 3 };
    const client = createPullRequestComments({ api: forge.url, token: TOKEN, repository: "group/sub/sites" });
    expect(await client.upsert(pr, marker, body(1))).toMatchObject({ ok: true, action: "created" });
    expect(await client.upsert(pr, marker, body(2))).toMatchObject({ ok: true, action: "updated" });
    const restarted = createPullRequestComments({ api: forge.url, token: TOKEN, repository: "group/sub/sites" });
    expect(await restarted.upsert(pr, marker, body(3))).toMatchObject({ ok: true, action: "updated" });
    expect(forge.comments.get("3")?.map((c) => c.body)).toEqual([`${marker} added 1 commit`, body(3)]);
    expect(forge.requests.filter((r) => r.method === "PUT")).toHaveLength(2);
    expect(forge.requests.every((r) => r.auth === TOKEN)).toBe(true);
  });
});

describe("configuration", () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), "simulium-comments-"));
  const tokenFile = path.join(dir, "token");
  writeFileSync(tokenFile, `${TOKEN}\n`);
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("refuses plain http to another host, and a repository it cannot derive", async () => {
    await expect(loadPullRequestComments({ api: "http://git.example.org/api/v1", tokenFile, repository: "ops/sites" })).rejects.toBeInstanceOf(NotifyConfigError);
    await expect(loadPullRequestComments({ api: "https://git.example.org/api/v1", tokenFile }, { sourceUrl: "/srv/sites" })).rejects.toThrow(/--pr-comment-repository/);
    await expect(loadPullRequestComments({ api: "https://git.example.org/api/v1", tokenFile: path.join(dir, "missing") }, { sourceUrl: "https://git.example.org/ops/sites.git" })).rejects.toThrow(/missing/);
    await expect(loadPullRequestComments({ api: "http://127.0.0.1:1/api", tokenFile }, { sourceUrl: "git@git.example.org:ops/sites.git" })).resolves.toBeDefined();
  });

  it("derives owner/name and GitLab's full project path from the git URL", () => {
    expect(repositoryPathFromUrl("https://github.com/ops/sites.git")).toBe("ops/sites");
    expect(repositoryPathFromUrl("git@gitlab.example.org:group/sub/sites.git")).toBe("group/sub/sites");
    expect(repositoryPathFromUrl("ssh://git@gitlab.example.org/group/sites")).toBe("group/sites");
    expect(repositoryPathFromUrl("https://example.org/sites")).toBeUndefined();
    expect(repositoryPathFromUrl("https://example.org/a/../b")).toBeUndefined();
  });

  it("our comments: the marker at the start, by us when we know who we are, oldest first", () => {
    const list = [
      { id: 9, body: `${marker}\nb`, author: "bot" },
      { id: 3, body: `${marker}\na`, author: "bot" },
      { id: 4, body: `quoting ${marker}`, author: "bot" },
      { id: 5, body: `${marker}\nc`, author: "eve" },
    ];
    expect(ownComments(list, marker, "bot").map((c) => c.id)).toEqual([3, 9]);
    // No user behind the token (an app): an app's comments only, never a person's.
    expect(ownComments(list, marker, undefined)).toEqual([]);
    expect(ownComments([...list, { id: 6, body: `${marker}\nd`, author: "simulium[bot]" }], marker, undefined).map((c) => c.id)).toEqual([6]);
    // Another instance's marker is not ours.
    expect(ownComments(list, "<!-- simulium-plan:staging -->", "bot")).toEqual([]);
  });
});
