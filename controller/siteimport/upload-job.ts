import type Docker from "dockerode";
import { randomBytes } from "node:crypto";
import { Writable } from "node:stream";
import { LABEL } from "../desired/labels";
import type { ServiceSpec } from "../desired/types";
import type { ApiNetwork, ApiSecret, ApiServiceSpec, ApiTask } from "../engine/api-types";
import type { RegistryAuth } from "../engine/registry-auth";
import { jobServiceSpec } from "../jobs/job-spec";
import { demuxLogs } from "../jobs/log-frames";
import { JobError, JobResult, JobTimeoutError } from "../jobs/run-job";

export interface UploadJobRequest {
  /** The job's service (a tools job spec), already pinned to this node. */
  readonly spec: ServiceSpec;
  readonly command: readonly string[];
  readonly kind: string;
  readonly timeoutSeconds: number;
  /** Seconds the task may take to start (image present, scheduled, container created). */
  readonly startSeconds?: number;
  /** Puts the inputs into the running task's container; the job waits for them. */
  readonly upload: (container: Docker.Container) => Promise<void>;
  readonly auth?: RegistryAuth;
  readonly onOutput?: (text: string) => void;
  readonly pollMs?: number;
}

const DONE = new Set(["complete", "failed"]);
const BROKEN = new Set(["rejected", "orphaned", "remove", "shutdown"]);

/**
 * runJob's variant for a job that needs local inputs: creates the job service, waits for its
 * task's container to run (on this node: the spec is pinned here, so the container is local),
 * uploads into it, then waits for the end. The job service is removed whatever happens, which
 * also ends a job left waiting for an upload that failed.
 */
export async function runUploadJob(docker: Docker, req: UploadJobRequest): Promise<JobResult> {
  const name = `${req.spec.site ?? ""}_${req.kind}-${randomBytes(3).toString("hex")}`;
  const spec = jobServiceSpec(req.spec, name, req.command, await idsOf(docker, req.spec));
  const created = (await (docker as unknown as WithAuth).createService(req.auth, spec)) as { id?: string; ID?: string };
  const id = created.id ?? created.ID ?? name;
  const service = docker.getService(id);
  const pollMs = req.pollMs ?? 500;
  let stop: () => void = () => undefined;
  try {
    const containerId = await waitForContainer(docker, id, req.startSeconds ?? 300, pollMs);
    let streamed = "";
    stop = await follow(service, (text) => {
      streamed += text;
      req.onOutput?.(text);
    });
    await req.upload(docker.getContainer(containerId));
    const task = await waitForEnd(docker, id, req.timeoutSeconds, pollMs);
    stop();
    const output = demuxLogs((await service.logs({ stdout: true, stderr: true, follow: false })) as unknown as Buffer);
    if (req.onOutput && output.startsWith(streamed) && output.length > streamed.length) req.onOutput(output.slice(streamed.length));
    const exitCode = task.Status?.ContainerStatus?.ExitCode;
    if (exitCode === undefined) throw new JobError(`job ${name} ended without an exit code: ${task.Status?.Err ?? task.Status?.State ?? "unknown"}`);
    return { exitCode, output };
  } finally {
    stop();
    await service.remove().catch(() => undefined);
  }
}

async function waitForContainer(docker: Docker, id: string, timeoutSeconds: number, pollMs: number): Promise<string> {
  const deadline = Date.now() + timeoutSeconds * 1000;
  for (;;) {
    const task = ((await docker.listTasks({ filters: { service: [id] } })) as ApiTask[])[0];
    const state = task?.Status?.State ?? "";
    const container = task?.Status?.ContainerStatus?.ContainerID;
    if (state === "running" && container) return container;
    if (task && (BROKEN.has(state) || DONE.has(state))) {
      throw new JobError(`the job's task ${state} before the upload: ${task.Status?.Err ?? task.Status?.Message ?? "no reason given"}`);
    }
    if (Date.now() > deadline) {
      throw new JobTimeoutError(`the job's task did not start within ${timeoutSeconds} s (${state || "not scheduled"}: ${task?.Status?.Err ?? task?.Status?.Message ?? "no reason given"})`);
    }
    await new Promise((r) => setTimeout(r, pollMs));
  }
}

async function waitForEnd(docker: Docker, id: string, timeoutSeconds: number, pollMs: number): Promise<ApiTask> {
  const deadline = Date.now() + timeoutSeconds * 1000;
  for (;;) {
    const task = ((await docker.listTasks({ filters: { service: [id] } })) as ApiTask[])[0];
    const state = task?.Status?.State ?? "";
    if (task && DONE.has(state)) return task;
    if (task && BROKEN.has(state)) throw new JobError(`job task ${state}: ${task.Status?.Err ?? task.Status?.Message ?? "no reason given"}`);
    if (Date.now() > deadline) throw new JobTimeoutError(`the import job did not finish within ${timeoutSeconds} s; it was stopped, its last message says the state it left`);
    await new Promise((r) => setTimeout(r, pollMs));
  }
}

async function follow(service: Docker.Service, onText: (text: string) => void): Promise<() => void> {
  const stream = (await service.logs({ stdout: true, stderr: true, follow: true })) as unknown as NodeJS.ReadableStream & { destroy?: () => void };
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      onText(chunk.toString("utf8"));
      done();
    },
  });
  (service.modem as { demuxStream: (s: NodeJS.ReadableStream, out: Writable, err: Writable) => void }).demuxStream(stream, sink, sink);
  stream.on("error", () => undefined);
  return () => stream.destroy?.();
}

/** The IDs of the networks and secrets the spec refers to, among this instance's objects. */
async function idsOf(docker: Docker, spec: ServiceSpec) {
  const filters = { label: [`${LABEL.instance}=${spec.labels[LABEL.instance] ?? ""}`] };
  const [networks, secrets] = await Promise.all([docker.listNetworks({ filters }) as Promise<ApiNetwork[]>, docker.listSecrets({ filters }) as Promise<ApiSecret[]>]);
  const networkIds = new Map(networks.map((n) => [n.Name, n.Id]));
  const secretIds = new Map(secrets.map((s) => [s.Spec?.Name ?? "", s.ID]));
  const get = (map: Map<string, string>, what: string) => (n: string): string => {
    const found = map.get(n);
    if (!found) throw new JobError(`${what} ${n} does not exist: apply the site first (simulium apply --site ${spec.site ?? ""})`);
    return found;
  };
  return { networkId: get(networkIds, "network"), secretId: get(secretIds, "secret") };
}

/** dockerode sends the registry credentials as a first argument its typings lose. */
interface WithAuth {
  createService(auth: RegistryAuth | undefined, spec: ApiServiceSpec): Promise<unknown>;
}
