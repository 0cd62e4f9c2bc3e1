import type { ResolvedCluster, ResolvedSite } from "../manifests/types";
import type { Plan } from "../plan/types";

/**
 * Sites that ask for backups (their own `spec.backup`, or the cluster default) on a cluster
 * where backups are off (no `spec.backup.image` in simulium.yaml): nothing would back them up,
 * and an operator reading the manifest would believe otherwise. Not an error (the sites run
 * fine), but said on every plan. Pure.
 */
export function unprotectedSites(sites: readonly ResolvedSite[], cluster: ResolvedCluster): Plan["warnings"] {
  if (cluster.backup) return [];
  return sites
    .filter((s) => s.backup !== undefined && !s.suspend)
    .map((s) => ({
      site: s.name,
      name: s.name,
      message: `spec.backup schedules backups ("${s.backup?.schedule}"), but simulium.yaml enables none (spec.backup.image): this site is not backed up`,
    }));
}
