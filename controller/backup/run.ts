import type Docker from "dockerode";
import { randomBytes } from "node:crypto";
import { shortHash } from "../desired/hash";
import type { ResourceSpec } from "../desired/types";
import type { RegistryAuth } from "../engine/registry-auth";
import { runJob, JobResult } from "../jobs/run-job";
import { jobKind } from "../jobs/site-web";
import type { ResolvedCluster, ResolvedSite } from "../manifests/types";
import { backupConfigOf, resticJobSpec } from "./job";
import { siteRepository } from "./names";
import { BackupOperation, failureMessage } from "./outcome";
import type { GeneratedPasswordRef } from "./resources";
import { backupScript, checkScript, keepFlags, listScript } from "./scripts";
import { BackupRun, groupRuns, parseSizes, parseSnapshots, Snapshot } from "./snapshots";
import { runId, runTags } from "./tags";

/** A site as its backup jobs need it: resolved, rendered (for the secret names the swarm has), and the repository settings. */
export interface BackupTarget {
  readonly site: ResolvedSite;
  readonly cluster: ResolvedCluster;
  readonly rendered: readonly ResourceSpec[];
  readonly generated?: GeneratedPasswordRef;
  readonly auth?: RegistryAuth;
  /**
   * Another site whose repository (and snapshots, tagged with its name) the jobs read: a sync
   * loads one environment's backup into another. Never set for a backup (backup/sync.ts).
   */
  readonly repositoryOf?: string;
}

export interface JobOptions {
  readonly timeoutSeconds?: number;
  readonly onOutput?: (text: string) => void;
  readonly pollMs?: number;
}

export interface BackupResult {
  readonly ok: boolean;
  readonly run: string;
  readonly startedAt: string;
  readonly durationSeconds: number;
  readonly exitCode: number;
  /** The operator's message: what happened, and on failure the job's last lines. */
  readonly message: string;
  /** The snapshots this run made (empty on failure). */
  readonly snapshots: readonly Snapshot[];
}

/** The job's operation failed in a way that has no partial result (list, check). */
export class BackupJobError extends Error {
  constructor(readonly op: BackupOperation, readonly exitCode: number, message: string) {
    super(message);
  }
}

export const DEFAULT_TIMEOUT = 3600;
const DEFAULT_KEEP = 7;

/** Runs the restic tools job with a generated script; volumes are read-only unless it restores. */
export async function runResticJob(docker: Docker, target: BackupTarget, op: BackupOperation, script: string, args: readonly string[], opts: JobOptions & { env?: Record<string, string>; volumesWritable?: boolean } = {}): Promise<JobResult> {
  // The other site's repository, and its name for the scripts' snapshot filters (`site:<name>`).
  const other: Record<string, string> = target.repositoryOf !== undefined ? { RESTIC_REPOSITORY: siteRepository(backupConfigOf(target.cluster), target.repositoryOf), SIMULIUM_SITE: target.repositoryOf } : {};
  const spec = resticJobSpec(target.site, target.rendered, target.cluster, target.generated, { volumesWritable: opts.volumesWritable === true, env: { ...other, ...opts.env } });
  return runJob(docker, {
    web: spec,
    command: ["sh", "-c", script, op, ...args],
    timeoutSeconds: opts.timeoutSeconds ?? DEFAULT_TIMEOUT,
    kind: jobKind(op, "job", target.site.name),
    ...(target.auth ? { auth: target.auth } : {}),
    ...(opts.onOutput ? { onOutput: opts.onOutput } : {}),
    ...(opts.pollMs !== undefined ? { pollMs: opts.pollMs } : {}),
  });
}

/**
 * One backup run of a site: database dump and volumes as two snapshots sharing the run's tag,
 * then retention. Never throws for a failed run: the result says why (a job that could not
 * start or timed out throws JobError, like every job).
 */
export async function backupSite(docker: Docker, target: BackupTarget, opts: JobOptions & { commit?: string; now?: () => Date } = {}): Promise<BackupResult> {
  // It would store this site's data in the other's repository, under the other's name.
  if (target.repositoryOf !== undefined) throw new Error(`internal: a backup of ${target.site.name} into the repository of ${target.repositoryOf}`);
  const now = opts.now ?? (() => new Date());
  const started = now();
  const run = runId(started, randomBytes(3).toString("hex"));
  const parts = [...(target.site.database ? ["database" as const] : []), ...(target.site.volumes.length > 0 ? ["volumes" as const] : [])];
  const tags = runTags({ site: target.site.name, run, ...(opts.commit ? { commit: opts.commit } : {}), manifest: shortHash(target.rendered), parts });
  const keep = target.site.backup ?? { keep: DEFAULT_KEEP };
  const r = await runResticJob(docker, target, "backup", backupScript(), keepFlags(keep), { ...opts, env: { BACKUP_TAGS: tags.join(","), RUN_TAG: `run:${run}` } });
  const durationSeconds = (now().getTime() - started.getTime()) / 1000;
  let snapshots: Snapshot[] = [];
  try {
    snapshots = parseSnapshots(r.output);
  } catch {
    // A run that failed before listing has no snapshots to show; its exit code says why.
  }
  const base = { run, startedAt: started.toISOString(), durationSeconds, exitCode: r.exitCode, snapshots };
  if (r.exitCode !== 0) return { ...base, ok: false, message: failureMessage("backup", r.exitCode, r.output) };
  return { ...base, ok: true, message: `backup ${run}: ${snapshots.map((s) => s.shortId).join(", ")}` };
}

/** Every backup run of the site, newest first, with restore sizes unless `sizes` is false (they read every tree). */
export async function listRuns(docker: Docker, target: BackupTarget, opts: JobOptions & { sizes?: boolean } = {}): Promise<BackupRun[]> {
  const r = await runResticJob(docker, target, "list", listScript(), opts.sizes === false ? [] : ["sizes"], opts);
  if (r.exitCode !== 0) throw new BackupJobError("list", r.exitCode, failureMessage("list", r.exitCode, r.output));
  return groupRuns(parseSnapshots(r.output), parseSizes(r.output));
}

export interface CheckResult {
  readonly ok: boolean;
  readonly checkedAt: string;
  readonly message: string;
}

/** `restic check` of the site's repository; the result, never an exception, for a failed check. */
export async function checkRepository(docker: Docker, target: BackupTarget, opts: JobOptions & { args?: readonly string[] } = {}): Promise<CheckResult> {
  const checkedAt = new Date().toISOString();
  const r = await runResticJob(docker, target, "check", checkScript(), opts.args ?? [], opts);
  return { ok: r.exitCode === 0, checkedAt, message: r.exitCode === 0 ? "no errors were found" : failureMessage("check", r.exitCode, r.output) };
}
