import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { loadNotifier, NotifyConfigError, tokenTransportProblem } from "../../../controller/daemon/notify";

describe("the commit status token travels only over https (loopback http for tests)", () => {
  it("accepts https anywhere and http on loopback only", () => {
    expect(tokenTransportProblem("https://git.example.org/api/v1")).toBeUndefined();
    expect(tokenTransportProblem("http://127.0.0.1:3000/api/v1")).toBeUndefined();
    expect(tokenTransportProblem("http://127.9.9.9/api/v1")).toBeUndefined();
    expect(tokenTransportProblem("http://localhost:3000/api/v1")).toBeUndefined();
    expect(tokenTransportProblem("http://[::1]:3000/api/v1")).toBeUndefined();
    expect(tokenTransportProblem("http://git.example.org/api/v1")).toMatch(/https/);
    // A name that only starts like loopback is a remote host.
    expect(tokenTransportProblem("http://127.0.0.1.evil.example.net/api")).toMatch(/https/);
    expect(tokenTransportProblem("http://localhost.evil.example.net/api")).toMatch(/https/);
    expect(tokenTransportProblem("ftp://git.example.org/")).toMatch(/https/);
    expect(tokenTransportProblem("not a url")).toMatch(/not a URL/);
  });

  describe("loadNotifier", () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), "simulium-notify-"));
    const tokenFile = path.join(dir, "token");
    writeFileSync(tokenFile, "forge-token-value");
    afterAll(() => rmSync(dir, { recursive: true, force: true }));

    it("refuses a plain-http API on another host before reading anything is sent", async () => {
      const config = { webhooks: [], commitStatus: { api: "http://git.example.org/api/v1", repository: "ops/sites", tokenFile }, suppressSeconds: 0 };
      const err = await loadNotifier(config, { instance: "t" }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(NotifyConfigError);
      expect(String(err)).toContain("--commit-status-api");
      expect(String(err)).not.toContain("forge-token-value");
    });

    it("accepts https", async () => {
      const config = { webhooks: [], commitStatus: { api: "https://git.example.org/api/v1", repository: "ops/sites", tokenFile }, suppressSeconds: 0 };
      await expect(loadNotifier(config, { instance: "t" })).resolves.toBeDefined();
    });
  });
});
