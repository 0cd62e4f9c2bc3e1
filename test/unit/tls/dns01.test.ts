import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { credentialValues, DnsHook, DnsHookError, dnsRecordName, hookInvocation, runDnsHook } from "../../../controller/tls/dns01";

let dir = "";
beforeEach(() => (dir = mkdtempSync(path.join(os.tmpdir(), "simulium-dnshook-"))));
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function script(body: string): DnsHook {
  const file = path.join(dir, "hook.sh");
  writeFileSync(file, `#!/bin/sh\n${body}\n`);
  chmodSync(file, 0o755);
  return { command: file, propagationSeconds: 0, timeoutSeconds: 2 };
}

describe("the DNS-01 hook", () => {
  it("names the record of a name and of a wildcard the same: _acme-challenge under the bare name", () => {
    expect(dnsRecordName("www.example.org")).toBe("_acme-challenge.www.example.org");
    expect(dnsRecordName("*.example.org")).toBe("_acme-challenge.example.org");
  });

  it("is called with the action, the bare domain and the value, as arguments and as environment", () => {
    expect(hookInvocation("present", "*.example.org", "v4lue")).toEqual({
      args: ["present", "example.org", "v4lue"],
      env: { SIMULIUM_DNS_ACTION: "present", SIMULIUM_DNS_DOMAIN: "example.org", SIMULIUM_DNS_RECORD: "_acme-challenge.example.org", SIMULIUM_DNS_VALUE: "v4lue" },
    });
  });

  it("runs the executable without a shell: what it receives is exactly the arguments and variables", async () => {
    const out = path.join(dir, "seen");
    await runDnsHook(script(`printf '%s|' "$@" "$SIMULIUM_DNS_RECORD" "$SIMULIUM_DNS_VALUE" > ${out}`), "cleanup", "www.example.org", "a;b $(x)");
    expect(readFileSync(out, "utf8")).toBe("cleanup|www.example.org|a;b $(x)|_acme-challenge.www.example.org|a;b $(x)|");
  });

  it("fails with its exit status and the tail of its stderr (where the reason is), not its stdout", async () => {
    const err = await runDnsHook(script(`echo '{"api":"answer"}'; echo "${"x".repeat(600)}" >&2; echo "zone example.org not found" >&2; exit 4`), "present", "www.example.org", "v").catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DnsHookError);
    const message = (err as Error).message;
    expect(message).toMatch(/^the DNS hook's present for _acme-challenge\.www\.example\.org failed: exit 4: …x+\nzone example\.org not found$/);
    expect(message).not.toContain("api");
    expect(message.length).toBeLessThan(620);
  });

  it("fails with its stdout when it wrote nothing to stderr", async () => {
    await expect(runDnsHook(script("echo 'HTTP 403 from the DNS API'; exit 1"), "cleanup", "*.example.org", "v")).rejects.toThrow(
      "the DNS hook's cleanup for _acme-challenge.example.org failed: exit 1: HTTP 403 from the DNS API",
    );
  });

  it("is killed at its time limit, never left to block the reconcile", async () => {
    const started = Date.now();
    const err = await runDnsHook({ ...script("sleep 30"), timeoutSeconds: 1 }, "present", "www.example.org", "v").catch((e: unknown) => e);
    expect((err as Error).message).toMatch(/killed after 1 s/);
    expect(Date.now() - started).toBeLessThan(5000);
  });

  it("never puts a credential from the controller's environment into its error, even when the hook prints it", async () => {
    const token = "cf-9f8e7d6c5b4a39281706";
    process.env.CLOUDFLARE_API_TOKEN = token;
    process.env.DNS_PASSWORD = "hunter2-but-longer";
    try {
      const err = await runDnsHook(script('echo "curl -H Authorization: Bearer $CLOUDFLARE_API_TOKEN failed, pass=$DNS_PASSWORD" >&2; exit 3'), "present", "www.example.org", "v").catch((e: unknown) => e);
      const message = (err as Error).message;
      expect(message).toMatch(/exit 3/);
      expect(message).not.toContain(token);
      expect(message).not.toContain("hunter2-but-longer");
      expect(message).toContain("[redacted:CLOUDFLARE_API_TOKEN]");
      expect(message).toContain("[redacted:DNS_PASSWORD]");
    } finally {
      delete process.env.CLOUDFLARE_API_TOKEN;
      delete process.env.DNS_PASSWORD;
    }
  });

  it("takes as credentials the variables named like one, with values long enough to be one", () => {
    const found = credentialValues({ AWS_SECRET_ACCESS_KEY: "abcdefghijklmnop", API_KEY: "key-12345", HOME: "/root", PATH: "/usr/bin:/bin", GANDI_PAT: "x", MY_TOKEN: "" });
    expect(found.map((f) => f.name).sort()).toEqual(["API_KEY", "AWS_SECRET_ACCESS_KEY"]);
  });
});
