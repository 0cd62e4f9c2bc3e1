import type { Logger } from "../log";
import { loadRepo } from "../manifests/load";
import { effectiveCluster } from "../reconcile/pipeline";
import { resolveStateDir } from "../routing/admin-secret";
import type { AfterApplyOptions } from "../routing/after-apply";

/**
 * What a command that moves a site's tasks (restore, import) re-syncs routing from: every
 * site of the repository, as `simulium apply` renders the VCL (one site alone would drop the
 * others' routes), and the state directory's Varnish admin secret.
 */
export async function repoRouting(opts: { repo: string; instance?: string; stateDir?: string }, log: Logger): Promise<AfterApplyOptions> {
  const load = await loadRepo(opts.repo);
  const cluster = effectiveCluster(load, opts.instance);
  return { cluster, sites: load.sites, invalidSites: load.invalidSites, stateDir: resolveStateDir(opts.stateDir), log };
}
