import { readFileSync } from "node:fs";
import path from "node:path";
import { ensureSecretFile } from "../apply/secret-value";
import type { ResolvedCluster } from "../manifests/types";
import { hashOfValue } from "../routing/admin-secret";
import { RESTIC_PASSWORD_SETTING } from "../sealing/unseal-cluster";
import { ENV_LOGICAL_PREFIX, PASSWORD_LOGICAL } from "./names";
import { backupSecrets, GeneratedPasswordRef } from "./resources";

const PASSWORD_LENGTH = 43;

/**
 * The generated restic password lives in the controller's state directory, like the Varnish
 * admin secret: Swarm secrets cannot be read back, and losing this value loses every backup,
 * so it is written once and never replaced by the controller.
 */
export function resticPasswordPath(stateDir: string, instance: string): string {
  return path.join(stateDir, instance, PASSWORD_LOGICAL);
}

/** Creates the password file (CSPRNG, mode 0600) unless it exists; returns the hash of its value. */
export function ensureResticPassword(stateDir: string, instance: string): GeneratedPasswordRef {
  return { hash: hashOfValue(ensureSecretFile(resticPasswordPath(stateDir, instance), PASSWORD_LENGTH)) };
}

/** The generated password's hash when the cluster uses one (backups enabled, password not sealed). */
export function generatedPasswordFor(cluster: ResolvedCluster, stateDir: string): GeneratedPasswordRef | undefined {
  return cluster.backup && "generated" in cluster.backup.password ? ensureResticPassword(stateDir, cluster.instance) : undefined;
}

/**
 * Values of the backup secrets by Swarm secret name, for apply: the generated password read
 * from the state directory, sealed ones as unsealCluster decrypted them (bound to the cluster
 * scope; by setting name). Held in a closure so no plain object with the values exists for a
 * log line to print. A sealed value that did not decrypt is left out: apply then fails on that
 * one secret, with its name, rather than every site's reconcile.
 */
export function backupSecretValues(cluster: ResolvedCluster, stateDir: string, clusterValues: ReadonlyMap<string, Buffer>): (secretName: string) => Buffer | undefined {
  const config = cluster.backup;
  if (!config) return () => undefined;
  const generated = generatedPasswordFor(cluster, stateDir);
  const byName = new Map<string, Buffer>();
  for (const s of backupSecrets(cluster.instance, config, generated)) {
    const value =
      s.logicalName === PASSWORD_LOGICAL
        ? "generated" in config.password
          ? readFileSync(resticPasswordPath(stateDir, cluster.instance))
          : clusterValues.get(RESTIC_PASSWORD_SETTING)
        : clusterValues.get(s.logicalName.slice(ENV_LOGICAL_PREFIX.length));
    if (value !== undefined) byName.set(s.name, value);
  }
  return (secretName) => byName.get(secretName);
}
