import { names } from "../desired/names";
import { StateMissingError } from "../state/errors";
import { StateStore } from "../state/store";

// The state directory is owned by state/; these stay importable from here for the routing code.
export { DEFAULT_STATE_DIR, resolveStateDir } from "../state/store";
export { hashOfValue } from "../state/controller-secret";

export const VARNISH_SECRET_LOGICAL = "varnish-secret";

/**
 * The exact bytes varnishd reads with -S (no trimming: a trailing newline is part of it), from
 * the state directory; apply made them (state/controller-secret.ts). Never made here.
 */
export function readVarnishSecret(stateDir: string, instance: string): Buffer {
  const store = new StateStore(stateDir, instance, "read-only");
  const value = store.read(VARNISH_SECRET_LOGICAL);
  if (value === undefined) {
    throw new StateMissingError(`${store.path(VARNISH_SECRET_LOGICAL)} does not exist: routing cannot authenticate to Varnish (apply makes it; --state-dir must be the controller's)`);
  }
  return value;
}

/** The Swarm secret name render gives the admin secret (same scheme as site secrets). */
export function varnishSecretName(instance: string, hash: string): string {
  return names.secret(instance, VARNISH_SECRET_LOGICAL, hash);
}
