import type Docker from "dockerode";
import type { ServiceSpec } from "../desired/types";
import { runJob } from "../jobs/run-job";
import type { Logger } from "../log";
import { environmentSiteName, PRODUCTION } from "../manifests/environments";
import { quote } from "../manifests/issue";
import type { LoadResult, ResolvedSite } from "../manifests/types";
import type { AfterApplyOptions } from "../routing/after-apply";
import { restoreSite, RestoreResult } from "./restore";
import { backupSite, BackupTarget, DEFAULT_TIMEOUT } from "./run";

/** Nothing was changed: an unknown environment, the same one twice, or production without --into-production. */
export class SyncRefusedError extends Error {}

/** The sanitisation command failed after the load: the target has the source's data, unsanitised (its web is back, as after any restore). */
export class SanitiseFailedError extends Error {}

export interface SyncEnds {
  readonly source: ResolvedSite;
  readonly target: ResolvedSite;
}

/**
 * Which sites `simulium sync SITE --from A --to B` copies between: `prod` is the site itself,
 * any other name one of its `spec.environments`. Refuses a sync into production unless
 * `intoProduction`, and a sync of an environment onto itself. Pure.
 */
export function syncEnds(load: Pick<LoadResult, "sites" | "invalidSites">, site: string, from: string, to: string, intoProduction: boolean): SyncEnds {
  if (from === to) throw new SyncRefusedError(`--from and --to are both ${quote(from)}: nothing to copy`);
  if (to === PRODUCTION && !intoProduction) {
    throw new SyncRefusedError(`refusing to overwrite production's database and files of ${site} with ${quote(from)}'s: add --into-production if that is what you mean`);
  }
  const find = (env: string): ResolvedSite => {
    const name = env === PRODUCTION ? site : environmentSiteName(site, env);
    const found = load.sites.find((s) => s.name === name);
    if (found && (env === PRODUCTION ? found.environment === undefined : found.environment?.of === site)) return found;
    if (load.invalidSites.includes(name)) throw new SyncRefusedError(`${name} has an invalid manifest (simulium validate shows why)`);
    const known = load.sites.filter((s) => s.environment?.of === site).map((s) => s.environment?.name ?? "");
    throw new SyncRefusedError(
      env === PRODUCTION ? `site ${quote(site)} has no manifest` : `site ${quote(site)} has no environment ${quote(env)} (it has: ${[PRODUCTION, ...known].join(", ")})`,
    );
  };
  const source = find(from);
  const target = find(to);
  if (target.suspend) throw new SyncRefusedError(`${target.name} is suspended: resume it before loading data into it`);
  return { source, target };
}

export interface SyncOptions {
  readonly loadSwapScript: string;
  /** A command run in the target's web image after the load, before web comes back (`drush sql-sanitize -y`). */
  readonly sanitise?: readonly string[];
  /** The target's rendered web service, for the sanitisation job. */
  readonly targetWeb?: ServiceSpec;
  readonly timeoutSeconds?: number;
  readonly log?: Logger;
  readonly onOutput?: (text: string) => void;
  readonly routing?: AfterApplyOptions;
  readonly pollMs?: number;
}

export interface SyncResult {
  /** The fresh backup run of the source that was loaded. */
  readonly run: string;
  readonly restore: RestoreResult;
  readonly sanitised: boolean;
}

/**
 * Copies the source's database and files into the target through the backup machinery: a
 * fresh backup run of the source (its own repository, the source untouched but for the dump's
 * read), then the target restored from it exactly as `simulium restore` does (verified first,
 * web held at 0, dump loaded into a staging schema and swapped in, volumes rsynced), the
 * sanitisation run while web is still held, and web back.
 */
export async function syncSite(docker: Docker, source: BackupTarget, target: BackupTarget, opts: SyncOptions): Promise<SyncResult> {
  const timeoutSeconds = opts.timeoutSeconds ?? DEFAULT_TIMEOUT;
  const jobs = { timeoutSeconds, ...(opts.onOutput ? { onOutput: opts.onOutput } : {}), ...(opts.pollMs !== undefined ? { pollMs: opts.pollMs } : {}) };
  const made = await backupSite(docker, source, jobs);
  if (!made.ok) throw new SyncRefusedError(`the backup of ${source.site.name} failed, ${target.site.name} was not changed: ${made.message}`);
  opts.log?.info({ from: source.site.name, to: target.site.name, run: made.run }, "sync: source backed up; loading it into the target");
  let sanitised = false;
  const sanitise = opts.sanitise;
  const web = opts.targetWeb;
  if (sanitise && sanitise.length > 0 && !web) throw new Error("internal: a sanitisation command without the target's web service");
  const restore = await restoreSite(docker, { ...target, repositoryOf: source.site.name }, {
    ...jobs,
    from: made.run,
    loadSwapScript: opts.loadSwapScript,
    ...(opts.log ? { log: opts.log } : {}),
    ...(opts.routing ? { routing: opts.routing } : {}),
    ...(sanitise && sanitise.length > 0 && web
      ? {
          afterLoad: async () => {
            const r = await runJob(docker, { web, command: [...sanitise], timeoutSeconds, ...(target.auth ? { auth: target.auth } : {}), ...(opts.onOutput ? { onOutput: opts.onOutput } : {}) });
            if (r.exitCode !== 0) throw new SanitiseFailedError(`the sanitisation command exited ${r.exitCode} on ${target.site.name}: its data is the source's, NOT sanitised: its web stays stopped until a sync whose sanitisation succeeds (simulium sync SITE --from ENV --to ENV --sanitise COMMAND)`);
            sanitised = true;
          },
        }
      : {}),
  });
  return { run: made.run, restore, sanitised };
}
