import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import type { AddressInfo } from "node:net";
import os from "node:os";
import path from "node:path";
import { Server } from "ssh2";
import { SourceUnreachableError } from "../../controller/source/errors";
import { openGitSource } from "../../controller/source/git";

/**
 * Host key checking of an SSH git remote, with the real ssh client and git against an SSH
 * server on loopback (ssh2's server: it completes the key exchange, so the client checks the
 * host key, then refuses every login). A repository is never served: what matters is whether
 * ssh gets past the host key (then "Permission denied", reason auth) or stops there (host-key).
 */
const root = mkdtempSync(path.join(os.tmpdir(), "simulium-host-key-"));
const hostKeyFile = path.join(root, "host_key");
const clientKeyFile = path.join(root, "deploy_key");
let server: Server;
let port = 0;

beforeAll(async () => {
  execFileSync("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-f", hostKeyFile]);
  execFileSync("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-f", clientKeyFile]);
  server = new Server({ hostKeys: [readFileSync(hostKeyFile)] }, (client) => {
    client.on("authentication", (ctx) => ctx.reject());
    client.on("error", () => undefined);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  port = (server.address() as AddressInfo).port;
});

afterAll(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()));
  rmSync(root, { recursive: true, force: true });
});

const url = () => `ssh://git@127.0.0.1:${port}/ops/sites.git`;
const hostLine = () => `[127.0.0.1]:${port} ${readFileSync(`${hostKeyFile}.pub`, "utf8").split(" ").slice(0, 2).join(" ")}\n`;

async function syncError(name: string, credentials: { knownHostsFile?: string; acceptNewHostKeys?: boolean }): Promise<SourceUnreachableError> {
  const source = await openGitSource({ stateDir: path.join(root, name), url: url(), branch: "main", credentials: { sshKeyFile: clientKeyFile, ...credentials } });
  const err = await source.sync().then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(SourceUnreachableError);
  return err as SourceUnreachableError;
}

test("an SSH host whose key is not in --known-hosts-file is refused, with what to do", async () => {
  const knownHosts = path.join(root, "known_hosts-empty");
  writeFileSync(knownHosts, "");
  const err = await syncError("unknown", { knownHostsFile: knownHosts });
  expect(err.reason).toBe("host-key");
  expect(err.message).toContain("--known-hosts-file");
  expect(err.message).toContain("--accept-new-host-keys");
  // Nothing was pinned behind the operator's back.
  expect(readFileSync(knownHosts, "utf8")).toBe("");
});

test("a host whose key is in --known-hosts-file is trusted (ssh goes on to log in)", async () => {
  const knownHosts = path.join(root, "known_hosts-pinned");
  writeFileSync(knownHosts, hostLine());
  const err = await syncError("known", { knownHostsFile: knownHosts });
  expect(err.reason).toBe("auth");
});

test("--accept-new-host-keys trusts the first key and pins it into the file; a changed key is then refused", async () => {
  const knownHosts = path.join(root, "known_hosts-tofu");
  writeFileSync(knownHosts, "");
  expect((await syncError("tofu", { knownHostsFile: knownHosts, acceptNewHostKeys: true })).reason).toBe("auth");
  expect(readFileSync(knownHosts, "utf8")).toContain("ssh-ed25519");
  // Another key for the same host: accept-new never replaces a pinned key.
  const otherKey = path.join(root, "other_host_key");
  execFileSync("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-f", otherKey]);
  writeFileSync(knownHosts, `[127.0.0.1]:${port} ${readFileSync(`${otherKey}.pub`, "utf8").split(" ").slice(0, 2).join(" ")}\n`);
  expect((await syncError("tofu-changed", { knownHostsFile: knownHosts, acceptNewHostKeys: true })).reason).toBe("host-key");
});
