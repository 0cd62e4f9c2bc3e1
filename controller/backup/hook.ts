import type Docker from "dockerode";
import type { DesiredState } from "../desired/types";
import type { ApiService } from "../engine/api-types";
import { engineMessage } from "../engine/docker";
import type { AuthLookup } from "../engine/registry-auth";
import type { BackupHooks } from "../jobs/hooks";
import type { Logger } from "../log";
import type { ResolvedCluster, ResolvedSite } from "../manifests/types";
import { names } from "../desired/names";
import { recordBackup } from "./record";
import { backupTarget } from "./target";
import { restoreSite } from "./restore";
import { backupSite, BackupResult, BackupTarget } from "./run";

export interface BackupHookContext {
  readonly cluster: ResolvedCluster;
  readonly sites: readonly ResolvedSite[];
  /** The desired state being applied: the backup job uses its (new) secret names. */
  readonly desired: DesiredState;
  readonly stateDir: string;
  readonly commit: string;
  readonly auth: AuthLookup;
  readonly log: Logger;
  /** controller/database/load-swap.ts's script. */
  readonly loadSwapScript: string;
}

/**
 * Backups for deploy hooks, for one apply: `backup: true` backs the site up before its web
 * update and remembers the run; on a failed postDeploy, `recover` puts web back to its
 * previous spec and restores that run's database. Undefined when backups are not enabled.
 */
export function backupHooks(docker: Docker, ctx: BackupHookContext): BackupHooks | undefined {
  const config = ctx.cluster.backup;
  if (!config) return undefined;
  const madeBefore = new Map<string, string>();
  const targetOf = (site: string): BackupTarget => {
    const s = ctx.sites.find((x) => x.name === site);
    if (!s) throw new Error(`internal: site ${site} is not in this apply`);
    return backupTarget(s, ctx.cluster, ctx.desired.resources.filter((r) => r.site === site), ctx.stateDir, ctx.auth);
  };
  return {
    async backup(site) {
      let r: BackupResult;
      try {
        r = await backupSite(docker, targetOf(site), { commit: ctx.commit });
      } catch (err) {
        // A job that could not start or timed out: the deploy stops like on any failed preDeploy.
        return engineMessage(err);
      }
      recordBackup(ctx.stateDir, ctx.cluster.instance, site, r);
      if (!r.ok) return r.message;
      madeBefore.set(site, r.run);
      return undefined;
    },
    async recover(site) {
      const run = madeBefore.get(site);
      if (!run) return "restoreOnFailure: nothing restored, no backup was made before this deploy";
      const done: string[] = [];
      try {
        const web = names.service(site, "web");
        const service = docker.getService(web);
        const current = (await service.inspect()) as ApiService;
        if (current.PreviousSpec) {
          await service.update({ ...current.PreviousSpec, version: current.Version?.Index ?? 0 });
          done.push(`web rolled back to ${current.PreviousSpec.TaskTemplate?.ContainerSpec?.Image?.split("@")[0] ?? "its previous spec"}`);
        }
        await restoreSite(docker, targetOf(site), { from: run, loadSwapScript: ctx.loadSwapScript, databaseOnly: true, log: ctx.log });
        done.push(`database restored from backup run ${run}`);
        ctx.log.info({ site, run }, "audit: restoreOnFailure restored the pre-deploy backup");
        return `restoreOnFailure: ${done.join(", ")}`;
      } catch (err) {
        const what = done.length ? `${done.join(", ")}; then ` : "";
        return `restoreOnFailure: ${what}failed: ${err instanceof Error ? err.message : String(err)}`;
      }
    },
  };
}
