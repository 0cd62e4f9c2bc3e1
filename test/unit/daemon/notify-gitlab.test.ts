import { createServer, IncomingHttpHeaders, Server } from "node:http";
import type { AddressInfo } from "node:net";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { loadNotifier } from "../../../controller/daemon/notify";

/** A local HTTP server standing in for GitLab's API: records each request, answers 201. */
let server: Server;
let received: { method: string; url: string; headers: IncomingHttpHeaders; body: string }[] = [];
let api = "";
const dir = mkdtempSync(path.join(os.tmpdir(), "simulium-gitlab-"));
const tokenFile = path.join(dir, "token");

beforeAll(async () => {
  writeFileSync(tokenFile, "glpat-secret-value\n");
  server = createServer((req, res) => {
    let body = "";
    req.on("data", (c: Buffer) => (body += c.toString("utf8")));
    req.on("end", () => {
      received.push({ method: req.method ?? "", url: req.url ?? "", headers: req.headers, body });
      res.writeHead(201, { "Content-Type": "application/json" }).end("{}");
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  api = `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/v4`;
});
afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
  rmSync(dir, { recursive: true, force: true });
});
beforeEach(() => (received = []));

describe("commit statuses on GitLab", () => {
  it("an applied commit's status goes to the project derived from the clone URL, subgroups included", async () => {
    const notifier = await loadNotifier({ webhooks: [], commitStatus: { api, tokenFile }, suppressSeconds: 0 }, { instance: "prod", sourceUrl: "git@gitlab.example.org:hosting/clients/sites.git" });
    const sha = "b".repeat(40);
    const deliveries = await notifier.notify({ type: "commit.applied", commit: sha, sites: { ready: 3, failed: 1, invalid: 0 } });
    expect(deliveries.map((d) => d.ok)).toEqual([true]);
    expect(received).toHaveLength(1);
    const [r] = received;
    expect(r?.method).toBe("POST");
    expect(r?.url).toBe(`/api/v4/projects/hosting%2Fclients%2Fsites/statuses/${sha}`);
    expect(r?.headers["private-token"]).toBe("glpat-secret-value");
    expect(r?.headers.authorization).toBeUndefined();
    expect(JSON.parse(r?.body ?? "")).toEqual({ state: "failed", name: "simulium/prod", description: "3 ready, 1 failed, 0 invalid" });
  });
});
