import type Docker from "dockerode";
import { randomBytes } from "node:crypto";

/** A unique instance name per test file: everything it creates carries it, and only that is removed. */
export function testInstance(prefix = "t"): string {
  return `${prefix}${randomBytes(4).toString("hex")}`.slice(0, 20);
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function waitFor<T>(fn: () => Promise<T | undefined | null | false>, what: string, timeoutMs = 120_000, intervalMs = 1000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const v = await fn();
      if (v) return v;
    } catch (err) {
      last = err;
    }
    await sleep(intervalMs);
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last ? ` (last error: ${String(last)})` : ""}`);
}

/**
 * Removes every object labelled simulium.instance=<instance>: services first, then, once their
 * containers are gone, secrets, networks and volumes. Never touches anything without the label.
 */
export async function removeInstance(docker: Docker, instance: string): Promise<void> {
  const filters = { label: [`simulium.instance=${instance}`] };
  for (const s of await docker.listServices({ filters })) await docker.getService(s.ID).remove().catch(() => undefined);
  await waitFor(
    async () => (await docker.listContainers({ all: true, filters: { label: [`simulium.instance=${instance}`] } })).length === 0,
    `containers of ${instance} to go`,
    60_000,
  ).catch(() => undefined);
  for (const s of await docker.listSecrets({ filters })) await docker.getSecret(s.ID).remove().catch(() => undefined);
  for (const n of await docker.listNetworks({ filters })) await docker.getNetwork(n.Id).remove().catch(() => undefined);
  const vols = (await docker.listVolumes({ filters })).Volumes ?? [];
  for (const v of vols) await docker.getVolume(v.Name).remove().catch(() => undefined);
}

/** Runs a command in a running container of a service (as `docker exec`), returning its output. */
export async function execInService(docker: Docker, service: string, cmd: string[]): Promise<{ exitCode: number; output: string }> {
  const containers = await docker.listContainers({ filters: { label: [`com.docker.swarm.service.name=${service}`], status: ["running"] } });
  const first = containers[0];
  if (!first) throw new Error(`no running container for ${service}`);
  const exec = await docker.getContainer(first.Id).exec({ Cmd: cmd, AttachStdout: true, AttachStderr: true });
  const stream = await exec.start({ hijack: true, stdin: false });
  const chunks: Buffer[] = [];
  await new Promise<void>((resolve, reject) => {
    stream.on("data", (c: Buffer) => chunks.push(c));
    stream.on("end", () => resolve());
    stream.on("error", reject);
  });
  const info = await exec.inspect();
  return { exitCode: info.ExitCode ?? -1, output: demux(Buffer.concat(chunks)) };
}

/** Docker multiplexes stdout/stderr on one stream with 8-byte frame headers. */
function demux(buf: Buffer): string {
  let out = "";
  let i = 0;
  while (i + 8 <= buf.length) {
    const len = buf.readUInt32BE(i + 4);
    out += buf.subarray(i + 8, i + 8 + len).toString("utf8");
    i += 8 + len;
  }
  return out;
}
