import type Docker from "dockerode";
import { names } from "../desired/names";
import type { Logger } from "../log";
import { failureMessage } from "./outcome";
import { BackupTarget, DEFAULT_TIMEOUT, JobOptions, listRuns, runResticJob } from "./run";
import { enterMaintenance } from "../apply/maintenance";
import { EXIT, restoreScript, verifyScript } from "./scripts";
import { BackupRun, findRun, latestCandidates } from "./snapshots";
import type { AfterApplyOptions } from "../routing/after-apply";
import { routeAfterMove } from "../routing/after-move";
import type { RoutingResult } from "../routing/sync";

/** Past the restore job's own timeout, the maintenance hold ends anyway. */
const HOLD_MARGIN_SECONDS = 300;
/** How many of the newest runs a restore of latest verifies before it gives up. */
const LATEST_TRIES = 3;
/** A hold on data that must not be served: ten years, so only a successful load ends it. */
const KEEP_UNSERVABLE_SECONDS = 10 * 365 * 24 * 3600;

/** Nothing was changed: no such backup, or it failed restic's verification. */
export class RestoreRefusedError extends Error {}

/** The restore started changing the site and did not finish; the message says what state is left. */
export class RestoreFailedError extends Error {}

export interface RestoreOptions extends JobOptions {
  /** `latest`, a run id, or a snapshot id. */
  readonly from: string;
  /** controller/database/load-swap.ts: loads a dump into a staging schema and swaps it in. */
  readonly loadSwapScript: string;
  readonly log?: Logger;
  /** Only the database snapshot (restoreOnFailure: the files of a deploy are in the image). */
  readonly databaseOnly?: boolean;
  /**
   * Re-sync routing once web runs again (its new tasks have new addresses): every sites'
   * manifests, as `simulium apply` renders the VCL. Left out where an apply follows anyway.
   */
  readonly routing?: AfterApplyOptions;
  /** Run once the data is loaded, while web is still held at 0 (a sync's sanitisation): a throw fails the restore. */
  readonly afterLoad?: () => Promise<void>;
}

export interface RestoreResult {
  readonly run: BackupRun;
  readonly output: string;
  /** The routing sync after web came back; null without Varnish, undefined when not asked. */
  readonly routing?: RoutingResult | null;
}

/**
 * Puts a backup run back. The run is verified first (restic check, and a restore of its
 * snapshots into scratch space, which authenticates every blob); a run that fails is refused
 * before the site is touched. Then web is scaled to 0, the dump loaded (staging schema,
 * swapped in when complete) and the volumes copied back with rsync --delete, and web is
 * scaled back to its replicas, also when the restore fails; once they run, routing is
 * re-synced to their new addresses (opts.routing), so the site answers when this returns.
 */
export async function restoreSite(docker: Docker, target: BackupTarget, opts: RestoreOptions): Promise<RestoreResult> {
  const site = target.site.name;
  const of = target.repositoryOf ?? site;
  const runs = await listRuns(docker, target, { ...opts, sizes: false });
  const withVolumes = opts.databaseOnly !== true && target.site.volumes.length > 0;
  const latest = opts.from === "latest";
  const named = latest ? undefined : findRun(runs, opts.from);
  // latest: the newest runs that completed, a few deep (each one verified is a job).
  const candidates = latest ? latestCandidates(runs, target.site.database !== undefined).slice(0, LATEST_TRIES) : named ? [named] : [];
  if (candidates.length === 0) {
    const what = latest ? (runs.length > 0 ? "no backup run that completed" : "no backup") : `no backup run or snapshot ${JSON.stringify(opts.from)} (or more than one matches)`;
    throw new RestoreRefusedError(`site ${of} has ${what}: see simulium backups ${of}`);
  }
  // The snapshots a run gives this restore: its dump when the site has a database, its volumes unless databaseOnly.
  const partsOf = (run: BackupRun) => {
    const volumes = withVolumes ? run.snapshots.find((s) => s.kind === "volumes") : undefined;
    const dump = target.site.database ? run.snapshots.find((s) => s.kind === "database") : undefined;
    return { dump, volumes, chosen: [dump, volumes].filter((s): s is NonNullable<typeof s> => s !== undefined) };
  };
  let verifiedRun: BackupRun | undefined;
  for (const run of candidates) {
    // A run that failed and could not remove what it stored must not restore half a site.
    if (run.missing) throw new RestoreRefusedError(`backup run ${run.run} of ${of} lacks its ${run.missing.join(" and ")} snapshot (a failed run, or one retention split): choose another run, see simulium backups ${of}`);
    const { dump, chosen } = partsOf(run);
    if (target.site.database && !dump) throw new RestoreRefusedError(`backup run ${run.run} of ${of} has no database snapshot: it cannot restore the database`);
    const verified = await runResticJob(docker, target, "verify", verifyScript(), chosen.map((s) => s.id), opts);
    if (verified.exitCode === 0) {
      verifiedRun = run;
      break;
    }
    // A dump that did not complete is a failed run that stayed (made before failed runs were
    // removed): latest passes over it to the run before; anything else refuses.
    if (latest && verified.exitCode === EXIT.dumpIncomplete) {
      opts.log?.warn({ site: of, run: run.run }, "backup run passed over: its database dump did not complete");
      continue;
    }
    throw new RestoreRefusedError(`backup run ${run.run} of ${of} is refused, the site was not changed: ${failureMessage("verify", verified.exitCode, verified.output)}`);
  }
  if (!verifiedRun) throw new RestoreRefusedError(`site ${of} has no backup run that completed among its newest ${candidates.length}: see simulium backups ${of}`);
  const run = verifiedRun;
  const { dump, volumes, chosen } = partsOf(run);
  opts.log?.info({ site, run: run.run, snapshots: chosen.map((s) => s.shortId) }, "backup verified; restoring");

  const web = names.service(site, "web");
  // Held for the job's timeout and a margin: past that, reconciles may scale the site back.
  // A hold a failed sanitisation kept (web at 0) ends with the manifest's replicas.
  const maintenance = await enterMaintenance(docker, web, "restore", (opts.timeoutSeconds ?? DEFAULT_TIMEOUT) + HOLD_MARGIN_SECONDS, {
    pollMs: opts.pollMs,
    heldReplicas: target.site.web.replicas,
  });
  let output = "";
  let routing: RoutingResult | null | undefined;
  // Set when the loaded data must not be served (an unsanitised copy of production): web then
  // stays held until a load whose sanitisation succeeds, whatever reconciles come meanwhile.
  let kept = false;
  try {
    const env = {
      RESTORE_DB_SNAPSHOT: dump?.id ?? "",
      RESTORE_VOLUMES_SNAPSHOT: volumes?.id ?? "",
      LOAD_SWAP_SCRIPT: opts.loadSwapScript,
    };
    const r = await runResticJob(docker, target, "restore", restoreScript(), [], { ...opts, env, volumesWritable: true });
    output = r.output;
    if (r.exitCode !== 0) throw new RestoreFailedError(`restoring backup run ${run.run} of ${of}${of !== site ? ` into ${site}` : ""} failed: ${failureMessage("restore", r.exitCode, r.output)}`);
    if (opts.afterLoad) {
      try {
        await opts.afterLoad();
      } catch (err) {
        kept = true;
        await maintenance.keep("sanitisation failed", KEEP_UNSERVABLE_SECONDS);
        opts.log?.error({ site }, "the sanitisation failed: web stays stopped (held) until a sync with a sanitisation that succeeds");
        throw err;
      }
    }
  } finally {
    // Else always: a failed restore must not leave the site down on top of it.
    if (!kept) {
      try {
        await maintenance.leave();
        opts.log?.info({ site, replicas: maintenance.replicas }, "web scaled back after the restore");
      } finally {
        if (opts.routing) routing = await routeAfterMove(docker, opts.routing);
      }
    }
  }
  return { run, output, ...(routing !== undefined ? { routing } : {}) };
}

