import { spawn } from "node:child_process";
import type { ChildProcess } from "node:child_process";
import { chmod, mkdtemp, rm, writeFile } from "node:fs/promises";
import { request } from "node:http";
import { createServer as createTcpServer } from "node:net";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { connectVarnishAdmin } from "../../controller/varnish/admin";
import type { VarnishAdmin } from "../../controller/varnish/admin";

// A real varnishd on loopback with its own work directory and secret, compiling VCL the way
// the controller's Varnish service does (-O0 -g0, cli_limit 1m: controller/desired/render.ts).
const VARNISHD = process.env.VARNISHD ?? "/usr/sbin/varnishd";
const SECRET = "simulium-test-secret-7a1e0b\n";

export interface LocalVarnish {
  readonly httpPort: number;
  readonly adminPort: number;
  /** The manager process; the child (which holds the loaded VCLs) is its child. */
  readonly pid: number | undefined;
  /** A new authenticated admin session; closed by stop(). */
  admin(): Promise<VarnishAdmin>;
  get(host: string, path?: string): Promise<{ status: number; body: string }>;
  log(): string;
  stop(): Promise<void>;
}

export async function freeLoopbackPort(): Promise<number> {
  const srv = createTcpServer();
  await new Promise<void>((res) => srv.listen(0, "127.0.0.1", res));
  const { port } = srv.address() as AddressInfo;
  await new Promise<void>((res) => srv.close(() => res()));
  return port;
}

export function httpGetLoopback(port: number, host: string, path = "/", timeoutMs = 10_000): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: "127.0.0.1", port, path, agent: false, headers: { Host: host }, timeout: timeoutMs }, (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (c: string) => (body += c));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on("timeout", () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    req.on("error", reject);
    req.end();
  });
}

/** Starts varnishd with `bootVcl` active ("boot") and waits until both its ports answer. */
export async function startLocalVarnish(bootVcl: string, extraArgs: readonly string[] = []): Promise<LocalVarnish> {
  const dir = await mkdtemp(join(tmpdir(), "simulium-varnishd-"));
  await chmod(dir, 0o755);
  const [httpPort, adminPort] = [await freeLoopbackPort(), await freeLoopbackPort()];
  await writeFile(join(dir, "secret"), SECRET, { mode: 0o600 });
  await writeFile(join(dir, "boot.vcl"), bootVcl);
  let output = "";
  const sessions: VarnishAdmin[] = [];
  const args = ["-F", "-a", `127.0.0.1:${httpPort}`, "-T", `127.0.0.1:${adminPort}`, "-S", join(dir, "secret"), "-n", join(dir, "work")];
  const child: ChildProcess = spawn(VARNISHD, [...args, "-f", join(dir, "boot.vcl"), "-s", "malloc,64m", "-p", "cc_command=%D -O0 -g0", "-p", "cli_limit=1m", ...extraArgs], {
    stdio: ["ignore", "pipe", "pipe"],
  });
  child.stdout?.on("data", (c: Buffer) => (output += c.toString()));
  child.stderr?.on("data", (c: Buffer) => (output += c.toString()));
  const admin = async (): Promise<VarnishAdmin> => {
    const a = await connectVarnishAdmin({ host: "127.0.0.1", port: adminPort, secret: Buffer.from(SECRET) });
    sessions.push(a);
    return a;
  };
  const stop = async (): Promise<void> => {
    for (const s of sessions) s.close();
    if (child.pid !== undefined && child.exitCode === null) {
      const exited = new Promise((res) => child.once("exit", res));
      child.kill("SIGTERM");
      await Promise.race([exited, new Promise((r) => setTimeout(r, 10_000).unref())]);
      if (child.exitCode === null) child.kill("SIGKILL");
    }
    await rm(dir, { recursive: true, force: true });
  };
  const deadline = Date.now() + 30_000;
  for (;;) {
    try {
      await (await admin()).ping();
      await httpGetLoopback(httpPort, "nothing.test");
      break;
    } catch (e) {
      if (Date.now() > deadline || child.exitCode !== null) {
        await stop();
        throw new Error(`varnishd did not start: ${String(e)}\n${output}`);
      }
      await new Promise((r) => setTimeout(r, 200));
    }
  }
  return { httpPort, adminPort, pid: child.pid, admin, get: (host, path) => httpGetLoopback(httpPort, host, path), log: () => output, stop };
}
