import type Docker from "dockerode";
import { readFile } from "node:fs/promises";
import path from "node:path";
import { backupSecretValues, generatedPasswordFor } from "../backup/password";
import { unprotectedSites } from "../backup/unprotected";
import { renderDesired } from "../desired/render";
import type { DesiredState } from "../desired/types";
import { readLive } from "../live/read";
import type { LiveState } from "../live/types";
import { CLUSTER_FILE } from "../manifests/layout";
import { loadRepo } from "../manifests/load";
import type { LoadResult, ResolvedCluster } from "../manifests/types";
import { makePlan } from "../plan/plan";
import { ensureVarnishSecret, resolveStateDir } from "../routing/admin-secret";
import type { Plan } from "../plan/types";
import { keyFileDecrypter, resolveSealingKeyFile } from "../sealing/key-file";
import { sealedLookup } from "../sealing/lookup";
import { clusterSealedValues, unsealCluster } from "../sealing/unseal-cluster";
import { unsealSites } from "../sealing/unseal-sites";

export interface PlanContext {
  readonly load: LoadResult;
  readonly cluster: ResolvedCluster;
  readonly desired: DesiredState;
  readonly live: LiveState;
  readonly plan: Plan;
  /** Plain values of the sealed secrets, by Swarm secret name: for apply only, never printed. */
  readonly sealedValue: (secretName: string) => Buffer | undefined;
}

export class ClusterConfigError extends Error {}

/** The instance a command works on: --instance, else simulium.yaml's, else the default. */
export function effectiveCluster(load: LoadResult, instance: string | undefined): ResolvedCluster {
  if (!load.cluster) {
    throw new ClusterConfigError("simulium.yaml is invalid; nothing is planned or changed until it is fixed");
  }
  return instance ? { ...load.cluster, instance } : load.cluster;
}

/**
 * manifests → desired, live → plan: the one path every command and the daemon take, so
 * `plan` shows exactly what `apply` and the daemon would do.
 */
export async function planRepo(
  docker: Docker,
  repoDir: string,
  opts: { instance?: string; stateDir?: string; sealingKeyFile?: string } = {},
): Promise<PlanContext> {
  // A sealed value that does not decrypt makes its site invalid here, like a broken manifest.
  const decrypt = keyFileDecrypter(resolveSealingKeyFile(opts.sealingKeyFile));
  const { load, values } = await unsealSites(await loadRepo(repoDir), decrypt);
  const cluster = effectiveCluster(load, opts.instance);
  // A sealed value of simulium.yaml not bound to the cluster stops everything, like any error there.
  const clusterValues = await unsealCluster(cluster, decrypt, await readClusterText(repoDir, cluster));
  const stateDir = resolveStateDir(opts.stateDir);
  // Only the secret's hash enters the desired state; the value stays in the state directory.
  const varnishSecret = cluster.varnish.image ? ensureVarnishSecret(stateDir, cluster.instance) : undefined;
  const resticPassword = generatedPasswordFor(cluster, stateDir);
  const desired = renderDesired({ sites: load.sites, cluster, invalidSites: load.invalidSites, varnishSecret, resticPassword });
  const live = await readLive(docker, cluster.instance);
  const sites = sealedLookup(desired, values);
  const backup = backupSecretValues(cluster, stateDir, clusterValues);
  const plan = makePlan(desired, live, load.errors);
  const warnings = [...plan.warnings, ...unprotectedSites(load.sites, cluster)];
  return { load, cluster, desired, live, plan: { ...plan, warnings }, sealedValue: (name) => sites(name) ?? backup(name) };
}

/** simulium.yaml's text, to locate a refused sealed value; read only when it has some. */
async function readClusterText(repoDir: string, cluster: ResolvedCluster): Promise<string | undefined> {
  if (clusterSealedValues(cluster).length === 0) return undefined;
  return readFile(path.join(repoDir, CLUSTER_FILE), "utf8").catch(() => undefined);
}
