import type Docker from "dockerode";
import type { ApplyResult } from "../apply/apply";
import { renderSite } from "../desired/render";
import { DB_PASSWORD, names } from "../desired/names";
import type { DesiredState, ServiceSpec } from "../desired/types";
import type { AuthLookup } from "../engine/registry-auth";
import { runJob } from "../jobs/run-job";
import { readSitePin } from "../live/read";
import type { Logger } from "../log";
import { environmentSiteName, PRODUCTION } from "../manifests/environments";
import type { ResolvedCluster, ResolvedSite } from "../manifests/types";
import type { Plan } from "../plan/types";
import { RestoreRefusedError, restoreSite } from "./restore";
import { BackupJobError } from "./run";
import { EXIT } from "./scripts";
import { SanitiseFailedError } from "./sync";
import { backupTarget } from "./target";

/**
 * `spec.environments[].seed`: an environment loaded once, when it is created, from the latest
 * backup of production (or of another environment), then sanitised. "Created" is read from the
 * plan this apply ran, never from a state file: a lost state directory must not make an
 * environment that has data of its own be overwritten.
 */

export interface SeedDecision {
  /** The environment seeded. */
  readonly site: ResolvedSite;
  /** The site whose backup repository is read (`acme` for `prod`, `acme--staging`). */
  readonly from: string;
  readonly sanitise?: string;
}

export interface SeedOutcome {
  readonly site: string;
  readonly from: string;
  /** seeded: loaded (and sanitised when asked); empty: nothing to load, the environment starts empty; failed: the load or the sanitisation failed. */
  readonly state: "seeded" | "empty" | "failed";
  readonly message: string;
}

/**
 * The environments this apply created that ask to be seeded. Created means the plan created its
 * database service and its database volume (a volume left by a removed environment with
 * deletionPolicy Retain holds data: never overwritten), and its site converged. A volume the
 * node's engine makes (`onNode`) is never planned: there the database password's secret, created
 * by this plan too, tells a new environment from a retained one. Never
 * production, never a preview (the preview loop seeds those). Pure.
 */
export function environmentsToSeed(plan: Pick<Plan, "actions">, sites: readonly ResolvedSite[], desired: Pick<DesiredState, "resources">, applied: Pick<ApplyResult, "sites">): SeedDecision[] {
  const created = new Set(plan.actions.filter((a) => a.op === "create").map((a) => `${a.kind} ${a.name}`));
  const converged = new Set(applied.sites.filter((s) => s.state === "converged").map((s) => s.site));
  const out: SeedDecision[] = [];
  for (const site of sites) {
    const env = site.environment;
    if (!env?.seed || env.preview || !site.database || !converged.has(site.name)) continue;
    const volume = names.dbVolume(site.name);
    const onNode = desired.resources.some((r) => r.kind === "volume" && r.name === volume && r.onNode !== undefined);
    if (!created.has(`service ${names.service(site.name, "db")}`) || !(onNode || created.has(`volume ${volume}`))) continue;
    // The database password outlives a removal with Retain as a cluster-wide secret, which the
    // manager sees wherever the volume is: its create is the proof of a new environment that a
    // node-made volume cannot give.
    const password = desired.resources.find((r) => r.kind === "secret" && r.site === site.name && r.logicalName === DB_PASSWORD);
    if (password === undefined || !created.has(`secret ${password.name}`)) continue;
    const from = env.seed.from === PRODUCTION ? env.of : environmentSiteName(env.of, env.seed.from);
    if (from === site.name) continue;
    out.push({ site, from, ...(env.seed.sanitise !== undefined ? { sanitise: env.seed.sanitise } : {}) });
  }
  return out;
}

export interface SeedEnvironmentOptions {
  readonly stateDir: string;
  readonly auth: AuthLookup;
  readonly loadSwapScript: string;
  readonly log?: Logger;
  readonly timeoutSeconds?: number;
  readonly pollMs?: number;
}

/**
 * Loads the source's latest backup run into the new environment as `simulium restore` does
 * (verified first, web held at 0, the dump swapped in, the volumes copied), the sanitisation
 * run while web is still held. No backup (or none configured) leaves it empty: not a failure.
 */
export async function seedEnvironment(docker: Docker, decision: SeedDecision, cluster: ResolvedCluster, opts: SeedEnvironmentOptions): Promise<SeedOutcome> {
  const { site, from } = decision;
  const base = { site: site.name, from };
  if (!cluster.backup) return { ...base, state: "empty", message: `not seeded: backups are not configured (simulium.yaml spec.backup): ${site.name} starts empty` };
  const rendered = renderSite(site, cluster, await readSitePin(docker, cluster.instance, site.name));
  const target = { ...backupTarget(site, cluster, rendered, opts.stateDir, opts.auth), repositoryOf: from };
  const web = rendered.find((r): r is ServiceSpec => r.kind === "service" && r.role === "web" && r.site === site.name);
  const timeoutSeconds = opts.timeoutSeconds ?? 3600;
  const jobs = { timeoutSeconds, ...(opts.pollMs !== undefined ? { pollMs: opts.pollMs } : {}) };
  const sanitise = decision.sanitise;
  let sanitised = false;
  try {
    const r = await restoreSite(docker, target, {
      ...jobs,
      from: "latest",
      loadSwapScript: opts.loadSwapScript,
      ...(opts.log ? { log: opts.log } : {}),
      ...(sanitise !== undefined && web
        ? {
            afterLoad: async () => {
              const job = await runJob(docker, { web, command: ["sh", "-c", sanitise], timeoutSeconds, ...(target.auth ? { auth: target.auth } : {}) });
              if (job.exitCode !== 0) throw new SanitiseFailedError(`the sanitisation command exited ${job.exitCode} on ${site.name}: its data is ${from}'s, NOT sanitised: its web stays stopped until a sync whose sanitisation succeeds (simulium sync SITE --from ENV --to ENV --sanitise COMMAND)`);
              sanitised = true;
            },
          }
        : {}),
    });
    return { ...base, state: "seeded", message: `seeded from ${from}'s backup run ${r.run.run}${sanitised ? ", sanitised" : ""}` };
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    // Only "nothing to load" leaves it empty by design; a load or sanitisation that failed is a failure.
    if (nothingToLoad(err)) return { ...base, state: "empty", message: `not seeded: ${from} has no backup yet: ${site.name} starts empty` };
    return { ...base, state: "failed", message: `not seeded from ${from}'s backups: ${message}` };
  }
}

/** No backup run yet, or no repository at all (the source was never backed up): not a failure. A repository that cannot be opened otherwise (a wrong password) is one. */
export function nothingToLoad(err: unknown): boolean {
  if (err instanceof RestoreRefusedError) return /has no backup:/.test(err.message);
  return err instanceof BackupJobError && err.op === "list" && err.exitCode === EXIT.repository && /Is there a repository at the following location/.test(err.message);
}
