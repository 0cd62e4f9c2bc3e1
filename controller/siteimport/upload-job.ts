import type Docker from "dockerode";
import type { ServiceSpec } from "../desired/types";
import type { RegistryAuth } from "../engine/registry-auth";
import { JobResult, runJob } from "../jobs/run-job";

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

/**
 * A job that needs local inputs: once its task's container runs (on this node, where the spec
 * is pinned) the inputs are uploaded into it, then the job runs to its end. The job service is
 * removed whatever happens, which also ends a job left waiting for an upload that failed.
 */
export function runUploadJob(docker: Docker, req: UploadJobRequest): Promise<JobResult> {
  return runJob(docker, {
    web: req.spec,
    command: req.command,
    kind: req.kind,
    timeoutSeconds: req.timeoutSeconds,
    whenRunning: { startSeconds: req.startSeconds ?? 300, act: req.upload },
    ...(req.auth ? { auth: req.auth } : {}),
    ...(req.onOutput ? { onOutput: req.onOutput } : {}),
    ...(req.pollMs ? { pollMs: req.pollMs } : {}),
  });
}
