import type { ResolvedCluster } from "../manifests/types";
import { hashOfValue } from "../state/controller-secret";
import { StateMissingError } from "../state/errors";
import type { StateStore } from "../state/store";
import { RESTIC_PASSWORD_SETTING } from "../sealing/unseal-cluster";
import { ENV_LOGICAL_PREFIX, PASSWORD_LOGICAL } from "./names";
import { backupSecrets, GeneratedPasswordRef } from "./resources";

/**
 * The generated restic password's hash for a backup job, read from the state directory and
 * never made there: apply makes it (state/controller-secret.ts, fail-closed against the
 * swarm); a job that runs before that, or with another state directory, is refused.
 */
export function generatedPasswordFor(cluster: ResolvedCluster, store: StateStore): GeneratedPasswordRef | undefined {
  if (!cluster.backup || !("generated" in cluster.backup.password)) return undefined;
  const value = store.read(PASSWORD_LOGICAL);
  if (value === undefined) {
    throw new StateMissingError(
      `${store.path(PASSWORD_LOGICAL)} does not exist: the restic password is made by the first apply with backups on; ` +
        "if the swarm already has backups, this is not the controller's state directory (--state-dir, SIMULIUM_STATE_DIR)",
    );
  }
  return { hash: hashOfValue(value) };
}

/**
 * Values of the backup secrets by Swarm secret name, for apply: the generated password read
 * from the state directory, sealed ones as unsealCluster decrypted them (bound to the cluster
 * scope; by setting name). Held in a closure so no plain object with the values exists for a
 * log line to print. A sealed value that did not decrypt is left out: apply then fails on that
 * one secret, with its name, rather than every site's reconcile.
 */
export function backupSecretValues(
  cluster: ResolvedCluster,
  generatedValue: Buffer | undefined,
  clusterValues: ReadonlyMap<string, Buffer>,
): (secretName: string) => Buffer | undefined {
  const config = cluster.backup;
  if (!config) return () => undefined;
  // A generated password not made yet (read-only plan) has no value and no secret to name.
  if ("generated" in config.password && generatedValue === undefined) return () => undefined;
  const generated = generatedValue === undefined ? undefined : { hash: hashOfValue(generatedValue) };
  const byName = new Map<string, Buffer>();
  for (const s of backupSecrets(cluster.instance, config, generated)) {
    const value =
      s.logicalName === PASSWORD_LOGICAL
        ? "sealed" in config.password
          ? clusterValues.get(RESTIC_PASSWORD_SETTING)
          : generatedValue
        : clusterValues.get(s.logicalName.slice(ENV_LOGICAL_PREFIX.length));
    if (value !== undefined) byName.set(s.name, value);
  }
  return (secretName) => byName.get(secretName);
}
