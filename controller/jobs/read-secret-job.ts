import type Docker from "dockerode";
import { PassThrough } from "node:stream";
import type { ServiceSpec } from "../desired/types";
import type { RegistryAuth } from "../engine/registry-auth";
import { JobError, runJob } from "./run-job";

/** Created by the read; the job waits for it, so it ends as soon as the value is out. */
const READ_MARK = "/tmp/.simulium-secret-read";

/** What the job runs: nothing but waiting for the read (its own output would be empty anyway). */
export const WAIT_FOR_READ = ["sh", "-c", `until [ -e ${READ_MARK} ]; do sleep 0.2; done`] as const;

/** Run inside the job's container by exec: the value goes to the exec stream, never to a log. */
export function readCommand(target: string): string[] {
  return ["sh", "-c", `cat "/run/secrets/$1"; s=$?; touch ${READ_MARK}; exit $s`, "sh", target];
}

/** Several values in one job: each read alone, the job released after the last (or a failure). */
const readOnly = (target: string): string[] => ["sh", "-c", 'cat "/run/secrets/$1"', "sh", target];
const RELEASE = ["touch", READ_MARK];

export interface SecretReadRequest {
  /** A service spec mounting the secret at /run/secrets/<target> (e.g. credentialsJobSpec). */
  readonly job: ServiceSpec;
  readonly target: string;
  readonly kind: string;
  readonly timeoutSeconds: number;
  readonly auth?: RegistryAuth;
  /** Called once the value is read, before the job is removed (tests look at its logs here). */
  readonly beforeRemove?: (serviceId: string, container: Docker.Container) => Promise<void>;
}

/**
 * Reads a Swarm secret's value (which the engine never gives back) through a one-off job: the
 * job mounts the secret and waits; the controller reads the file with an exec into the job's
 * container; the job's log driver is "none". So the value exists only in this process and
 * what it prints, never in the engine's log driver. The job is pinned to this node: an exec
 * reaches local containers only.
 */
export async function readSecretThroughJob(docker: Docker, req: SecretReadRequest): Promise<Buffer> {
  const { target, ...rest } = req;
  const values = await readSecretsThroughJob(docker, { ...rest, targets: [target] });
  return values.get(target) as Buffer;
}

/** readSecretThroughJob for several secrets the job mounts: one job, one exec per value. */
export async function readSecretsThroughJob(docker: Docker, req: Omit<SecretReadRequest, "target"> & { readonly targets: readonly string[] }): Promise<Map<string, Buffer>> {
  const info = (await docker.info()) as { Swarm?: { NodeID?: string } };
  const node = info.Swarm?.NodeID;
  if (!node) throw new JobError("this engine is not a swarm node: run the command on a swarm manager");
  const job: ServiceSpec = { ...req.job, shape: { ...req.job.shape, constraints: [...req.job.shape.constraints, `node.id==${node}`] } };
  const values = new Map<string, Buffer>();
  let failed: { target: string; exit: number } | undefined;
  const result = await runJob(docker, {
    web: job,
    // Whatever the image's entrypoint does (start a server, say), the job only waits.
    entrypoint: [...WAIT_FOR_READ],
    command: [],
    kind: req.kind,
    timeoutSeconds: req.timeoutSeconds,
    noLogs: true,
    ...(req.auth ? { auth: req.auth } : {}),
    whenRunning: {
      startSeconds: req.timeoutSeconds,
      act: async (container) => {
        const last = req.targets.length - 1;
        for (const [i, target] of req.targets.entries()) {
          const r = await execOutput(docker, container, i === last ? readCommand(target) : readOnly(target));
          if (r.exitCode !== 0) {
            failed = { target, exit: r.exitCode };
            if (i !== last) await execOutput(docker, container, RELEASE);
            break;
          }
          values.set(target, r.stdout);
        }
        if (req.beforeRemove) {
          const serviceId = ((await container.inspect()) as { Config?: { Labels?: Record<string, string> } }).Config?.Labels?.["com.docker.swarm.service.id"] ?? "";
          await req.beforeRemove(serviceId, container);
        }
      },
    },
  });
  // A read failing says nothing secret: only the exit codes are told.
  const missing = failed ?? (req.targets.some((t) => !values.has(t)) ? { target: req.targets.find((t) => !values.has(t)) ?? "", exit: -1 } : undefined);
  if (missing) throw new JobError(`reading the secret ${missing.target} failed (exit ${missing.exit}); is the site applied?`);
  if (result.exitCode !== 0) throw new JobError(`the job reading the secret${req.targets.length > 1 ? "s" : ""} ${req.targets.join(", ")} ended with exit code ${result.exitCode}`);
  return values;
}

async function execOutput(docker: Docker, container: Docker.Container, cmd: string[]): Promise<{ exitCode: number; stdout: Buffer }> {
  const exec = await container.exec({ Cmd: cmd, AttachStdout: true, AttachStderr: true });
  const stream = await exec.start({ hijack: true, stdin: false });
  const out = new PassThrough();
  // Stderr is dropped: a failing cat says nothing useful, and it must not be mixed into the value.
  const err = new PassThrough();
  const chunks: Buffer[] = [];
  out.on("data", (c: Buffer) => chunks.push(c));
  err.resume();
  docker.modem.demuxStream(stream, out, err);
  await new Promise<void>((resolve, reject) => {
    stream.on("end", resolve);
    stream.on("close", resolve);
    stream.on("error", reject);
  });
  const inspected = await exec.inspect();
  return { exitCode: inspected.ExitCode ?? -1, stdout: Buffer.concat(chunks) };
}
