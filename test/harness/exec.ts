import type Docker from "dockerode";
import { PassThrough } from "node:stream";
import { HarnessError } from "./errors";

export interface ExecResult {
  readonly exitCode: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** The container of a running task of `service` (single-node swarm: it is local). */
export async function taskContainerId(docker: Docker, service: string): Promise<string> {
  const tasks = await docker.listTasks({
    filters: JSON.stringify({ service: [service], "desired-state": ["running"] }),
  });
  for (const task of tasks as Array<{ Status?: { State?: string; ContainerStatus?: { ContainerID?: string } } }>) {
    const id = task.Status?.ContainerStatus?.ContainerID;
    if (task.Status?.State === "running" && id) return id;
  }
  throw new HarnessError(`service ${service} has no running task`);
}

/** Runs `cmd` in a running container and collects its output and exit code. */
export async function execIn(docker: Docker, containerId: string, cmd: readonly string[]): Promise<ExecResult> {
  const exec = await docker.getContainer(containerId).exec({
    Cmd: [...cmd],
    AttachStdout: true,
    AttachStderr: true,
  });
  const stream = await exec.start({ hijack: true, stdin: false });
  const out = new PassThrough();
  const err = new PassThrough();
  const stdout: Buffer[] = [];
  const stderr: Buffer[] = [];
  out.on("data", (c: Buffer) => stdout.push(c));
  err.on("data", (c: Buffer) => stderr.push(c));
  docker.modem.demuxStream(stream, out, err);
  await new Promise<void>((resolve, reject) => {
    stream.on("end", resolve);
    stream.on("close", resolve);
    stream.on("error", reject);
  });
  const info = await exec.inspect();
  return {
    exitCode: info.ExitCode ?? -1,
    stdout: Buffer.concat(stdout).toString("utf8"),
    stderr: Buffer.concat(stderr).toString("utf8"),
  };
}

/** `execIn` on a running task of `service`. */
export async function execInService(docker: Docker, service: string, cmd: readonly string[]): Promise<ExecResult> {
  return execIn(docker, await taskContainerId(docker, service), cmd);
}
