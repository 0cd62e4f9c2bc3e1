import { shortHash } from "../desired/hash";
import { LABEL } from "../desired/labels";
import { names, SECRET_HASH_LENGTH } from "../desired/names";
import type { ResourceSpec, SecretSpec, VolumeSpec } from "../desired/types";
import type { ResolvedBackupConfig, ResolvedCluster } from "../manifests/types";
import { backupsVolumeName, ENV_LOGICAL_PREFIX, PASSWORD_LOGICAL } from "./names";

/** Hash of the generated restic password's value (backup/password.ts); needed when the password is not sealed. */
export interface GeneratedPasswordRef {
  readonly hash: string;
}

/**
 * The cluster-level objects backups need: the restic password and the sealed environment as
 * Swarm secrets (values provided at apply, never in the desired state), and the backups
 * volume when the repository is local. The volume belongs to no site: a reconcile that no
 * longer declares it retains it, so backups outlive any change to simulium.yaml. Pure.
 */
export function renderBackupResources(cluster: ResolvedCluster, generated: GeneratedPasswordRef | undefined): ResourceSpec[] {
  const config = cluster.backup;
  if (!config) return [];
  const out: ResourceSpec[] = [...backupSecrets(cluster.instance, config, generated)];
  if ("volume" in config.repository) {
    const spec = { driver: cluster.volumes.driver, options: cluster.volumes.options };
    const volume: VolumeSpec = {
      kind: "volume",
      site: null,
      name: backupsVolumeName(cluster.instance),
      ...spec,
      labels: { ...shared(cluster.instance), [LABEL.role]: "backups", [LABEL.deletionPolicy]: "Retain", [LABEL.specHash]: shortHash(spec) },
    };
    out.push(volume);
  }
  return out;
}

/** The password secret first, then one secret per environment variable, in name order. Pure. */
export function backupSecrets(instance: string, config: ResolvedBackupConfig, generated: GeneratedPasswordRef | undefined): SecretSpec[] {
  let passwordHash: string;
  if ("sealed" in config.password) passwordHash = shortHash({ sealed: config.password.sealed }, SECRET_HASH_LENGTH);
  else if (generated) passwordHash = generated.hash;
  else throw new Error("internal: backups are configured but no generated restic password was given to render");
  const secret = (logicalName: string, hash: string, source: SecretSpec["source"]): SecretSpec => ({
    kind: "secret",
    site: null,
    name: names.secret(instance, logicalName.startsWith(ENV_LOGICAL_PREFIX) ? "restic-env" : logicalName, hash),
    logicalName,
    source,
    labels: { ...shared(instance), [LABEL.role]: "secret", [LABEL.secret]: logicalName, [LABEL.specHash]: hash },
  });
  const env = Object.keys(config.env)
    .sort()
    // The variable's name is in the hash: two variables never share a Swarm secret name.
    .map((name) => secret(`${ENV_LOGICAL_PREFIX}${name}`, shortHash({ name, sealed: config.env[name] }, SECRET_HASH_LENGTH), { sealed: true }));
  const password = secret(PASSWORD_LOGICAL, passwordHash, "sealed" in config.password ? { sealed: true } : { provided: true });
  return [password, ...env];
}

function shared(instance: string): Record<string, string> {
  return { [LABEL.instance]: instance, [LABEL.stackNamespace]: instance };
}
