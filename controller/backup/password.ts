import type { ResolvedCluster } from "../manifests/types";
import { hashOfValue } from "../state/controller-secret";
import { StateMissingError } from "../state/errors";
import type { StateStore } from "../state/store";
import { UnsealError } from "../sealing/age";
import type { Decrypt } from "../sealing/unseal-sites";
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
 * from the state directory, sealed ones decrypted. Held in a closure so no plain object with
 * the values exists for a log line to print. A sealed value that does not decrypt is left out:
 * apply then fails on that one secret, with its name, rather than every site's reconcile.
 */
export async function backupSecretValues(cluster: ResolvedCluster, generatedValue: Buffer | undefined, decrypt: Decrypt): Promise<(secretName: string) => Buffer | undefined> {
  const config = cluster.backup;
  if (!config) return () => undefined;
  // A generated password not made yet (read-only plan) has no value and no secret to name.
  if ("generated" in config.password && generatedValue === undefined) return () => undefined;
  const generated = generatedValue === undefined ? undefined : { hash: hashOfValue(generatedValue) };
  const byName = new Map<string, Buffer>();
  for (const s of backupSecrets(cluster.instance, config, generated)) {
    if (s.logicalName === PASSWORD_LOGICAL) {
      if ("sealed" in config.password) await decryptInto(byName, s.name, config.password.sealed, decrypt);
      else if (generatedValue !== undefined) byName.set(s.name, generatedValue);
    } else {
      const ciphertext = config.env[s.logicalName.slice(ENV_LOGICAL_PREFIX.length)];
      if (ciphertext !== undefined) await decryptInto(byName, s.name, ciphertext, decrypt);
    }
  }
  return (secretName) => byName.get(secretName);
}

async function decryptInto(into: Map<string, Buffer>, name: string, ciphertext: string, decrypt: Decrypt): Promise<void> {
  try {
    into.set(name, await decrypt(ciphertext));
  } catch (err) {
    if (!(err instanceof UnsealError)) throw err;
  }
}
