import type Docker from "dockerode";
import { randomBytes } from "node:crypto";
import { Writable } from "node:stream";
import { LABEL } from "../desired/labels";
import type { ServiceSpec } from "../desired/types";
import type { ApiNetwork, ApiSecret, ApiServiceSpec, ApiTask } from "../engine/api-types";
import type { RegistryAuth } from "../engine/registry-auth";
import { jobDeadline, jobServiceSpec, runningJobSpec } from "./job-spec";
import { demuxLogs } from "../engine/log-frames";
import { createService } from "../engine/services";
import { removeJobService } from "../apply/remove-job";
import { setTimeout as sleep } from "node:timers/promises";

/** A site's service as the engine runs it now (its inspected spec). */
export interface RunningService {
  readonly kind: "running";
  readonly spec: ApiServiceSpec;
}

export interface JobRequest {
  /**
   * The environment the job runs in: a site's service as renderDesired makes it (what the
   * manifest says), or as it runs now (crons: the version that serves, after a rollback too).
   */
  readonly web: ServiceSpec | RunningService;
  /** Arguments to the web image's entrypoint, e.g. `["drush", "cron"]`. */
  readonly command: readonly string[];
  /**
   * Replaces the image's entrypoint (the command then runs as is): for jobs in images whose
   * entrypoint starts a server (Varnish), where arguments would go to that server.
   */
  readonly entrypoint?: readonly string[];
  readonly timeoutSeconds: number;
  /** Middle of the service name, `<site>_<kind>-<random>`: "exec", a cron job's name. */
  readonly kind?: string;
  /**
   * The whole service name instead: where another job must reach this one by name on the
   * site's network (a move's sender and receiver). Unique per run: the caller adds the random part.
   */
  readonly name?: string;
  readonly auth?: RegistryAuth;
  /** Called with output as it arrives (stdout and stderr together). */
  readonly onOutput?: (text: string) => void;
  readonly pollMs?: number;
  /**
   * Called with the task's container once it runs, before waiting for the end: how an import
   * puts local files into a job (the spec must pin the job to this node, so the container is
   * local). The job's command waits for them.
   */
  readonly whenRunning?: { readonly startSeconds: number; readonly act: (container: Docker.Container) => Promise<void> };
  /**
   * The job's output may hold a secret: its log driver is "none", so the engine keeps nothing
   * (`docker service logs` would otherwise show it to anyone with engine access, and a log
   * shipper would copy it). Its output is then not read; `whenRunning` reads what it needs.
   */
  readonly noLogs?: boolean;
}

export interface JobResult {
  /** The command's exit code. */
  readonly exitCode: number;
  /** Everything it wrote, stdout and stderr together. */
  readonly output: string;
}

/** The job did not run to an end: it could not start, or it outlived its timeout. */
export class JobError extends Error {}

/** The job outlived its timeout; it was stopped (its service removed). */
export class JobTimeoutError extends JobError {}

const DONE = new Set(["complete", "failed"]);
const BROKEN = new Set(["rejected", "orphaned", "remove", "shutdown"]);

/**
 * Runs a command once as a Swarm replicated job and removes the job service and its
 * container afterwards, whatever happens. The job service is labelled with the instance and
 * role=job: no part of the desired state, so a reconcile leaves it alone while it runs, and
 * with its deadline, so a reconcile removes it once it ended or is overdue and its runner is
 * gone (a killed CLI or daemon).
 */
export async function runJob(docker: Docker, req: JobRequest): Promise<JobResult> {
  const env = req.web;
  const site = (env.kind === "running" ? env.spec.Labels?.[LABEL.site] : env.site) ?? "";
  const name = req.name ?? `${site}_${req.kind ?? "exec"}-${randomBytes(3).toString("hex")}`;
  const deadline = jobDeadline(new Date(), req.timeoutSeconds + (req.whenRunning?.startSeconds ?? 0));
  const base =
    env.kind === "running"
      ? runningJobSpec(env.spec, name, req.command, deadline, req.entrypoint)
      : jobServiceSpec(env, name, req.command, await idsOf(docker, env), deadline, req.entrypoint);
  const spec = req.noLogs ? { ...base, TaskTemplate: { ...base.TaskTemplate, LogDriver: { Name: "none" } } } : base;
  const id = (await createService(docker, req.auth, spec)) ?? name;
  const service = docker.getService(id);
  let streamed = "";
  let stop = (): void => undefined;
  // Everything after the create: whatever fails (the log stream too), the job is removed.
  try {
    if (!req.noLogs) {
      stop = await follow(service, (text) => {
        streamed += text;
        req.onOutput?.(text);
      });
    }
    if (req.whenRunning) {
      const container = await waitForContainer(docker, id, req.whenRunning.startSeconds, req.pollMs ?? 500);
      await req.whenRunning.act(docker.getContainer(container));
    }
    const task = await waitForEnd(docker, id, req.timeoutSeconds, req.pollMs ?? 500);
    stop();
    // The followed stream can lag; the logs read after the end are the complete record.
    const output = req.noLogs ? "" : demuxLogs(await service.logs({ stdout: true, stderr: true, follow: false }));
    if (req.onOutput && output.startsWith(streamed) && output.length > streamed.length) req.onOutput(output.slice(streamed.length));
    const exitCode = task.Status?.ContainerStatus?.ExitCode;
    if (exitCode === undefined) throw new JobError(`job ${name} ended without an exit code: ${task.Status?.Err ?? task.Status?.State ?? "unknown"}`);
    return { exitCode, output };
  } finally {
    stop();
    // A job left behind (the removal failed) is removed by the next reconcile (plan/stale-jobs.ts).
    await removeJobService(docker, id).catch(() => undefined);
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
      throw new JobError(`the job's task ${state} before it could be given its inputs: ${task.Status?.Err ?? task.Status?.Message ?? "no reason given"}`);
    }
    if (Date.now() > deadline) {
      throw new JobTimeoutError(`the job's task did not start within ${timeoutSeconds} s (${state || "not scheduled"}: ${task?.Status?.Err ?? task?.Status?.Message ?? "no reason given"})`);
    }
    await sleep(pollMs);
  }
}

async function waitForEnd(docker: Docker, id: string, timeoutSeconds: number, pollMs: number): Promise<ApiTask> {
  const deadline = Date.now() + timeoutSeconds * 1000;
  for (;;) {
    const tasks = (await docker.listTasks({ filters: { service: [id] } })) as ApiTask[];
    const task = tasks[0];
    const state = task?.Status?.State ?? "";
    if (task && DONE.has(state)) return task;
    if (task && BROKEN.has(state)) throw new JobError(`job task ${state}: ${task.Status?.Err ?? task.Status?.Message ?? "no reason given"}`);
    if (Date.now() > deadline) {
      const why = task?.Status?.Err ?? task?.Status?.Message ?? state;
      throw new JobTimeoutError(`job did not finish within ${timeoutSeconds} s (task ${state || "not scheduled"}${why && why !== state ? `: ${why}` : ""})`);
    }
    await sleep(pollMs);
  }
}

/** Streams the service's logs as they come; the returned function ends the stream. */
async function follow(service: Docker.Service, onText: (text: string) => void): Promise<() => void> {
  const stream = await service.logs({ stdout: true, stderr: true, follow: true });
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      onText(chunk.toString("utf8"));
      done();
    },
  });
  (service.modem as { demuxStream: (s: NodeJS.ReadableStream, out: Writable, err: Writable) => void }).demuxStream(stream, sink, sink);
  stream.on("error", () => undefined);
  // The engine's answer (an HTTP response) is a Readable: destroying it closes the connection.
  return () => {
    if ("destroy" in stream && typeof stream.destroy === "function") stream.destroy();
  };
}

/** The IDs of the networks and secrets the web service refers to, from objects this instance owns. */
async function idsOf(docker: Docker, web: ServiceSpec) {
  const instance = web.labels[LABEL.instance] ?? "";
  const filters = { label: [`${LABEL.instance}=${instance}`] };
  const [networks, secrets] = await Promise.all([
    docker.listNetworks({ filters }) as Promise<ApiNetwork[]>,
    docker.listSecrets({ filters }) as Promise<ApiSecret[]>,
  ]);
  const networkIds = new Map(networks.map((n) => [n.Name, n.Id]));
  const secretIds = new Map(secrets.map((s) => [s.Spec?.Name ?? "", s.ID]));
  const get = (map: Map<string, string>, what: string) => (n: string): string => {
    const found = map.get(n);
    if (!found) throw new JobError(`${what} ${n} does not exist: apply the site first (simulium apply --site ${web.site ?? ""})`);
    return found;
  };
  return { networkId: get(networkIds, "network"), secretId: get(secretIds, "secret") };
}
