import { createHash } from "node:crypto";
import { generateSecret } from "../apply/secret-value";
import { LABEL } from "../desired/labels";
import { SECRET_HASH_LENGTH } from "../desired/names";
import type { LiveSecret } from "../live/types";
import { StateMissingError } from "./errors";
import type { StateStore } from "./store";

/**
 * Values only the controller holds: Swarm secrets cannot be read back, yet the controller must
 * authenticate to every varnishd and hand the restic password to every backup job. Each lives
 * in the state directory and the Swarm secret is made from it; the secret's name carries a hash
 * of the value (never the value).
 */
export type ControllerSecretName = "varnish-secret" | "restic-password";

const LENGTH: Readonly<Record<ControllerSecretName, number>> = { "varnish-secret": 43, "restic-password": 43 };

export type ControllerSecret =
  | { readonly state: "known"; readonly hash: string; readonly value: Buffer }
  /** Not made yet (nothing on the swarm either): apply generates it; a read-only command only says so. */
  | { readonly state: "new" };

/** The hash a pending value renders with in a read-only plan: never sent to the engine. */
export const PENDING_HASH = "new";

export function hashOfValue(value: Buffer): string {
  return createHash("sha256").update(value).digest("hex").slice(0, SECRET_HASH_LENGTH);
}

/**
 * The value of a controller secret, fail-closed against the swarm:
 * - the file exists: its value; a value that differs from the swarm's is refused unless
 *   `acceptChange` (a second controller, or an old copy of the directory, would otherwise replace
 *   the live secret, and the two would undo each other; an old restic password would leave every
 *   backup encrypted with the other one);
 * - the file is missing and the swarm has the secret: refused (StateMissingError), since a new
 *   value would replace the live one. Nothing is written;
 * - the file is missing and so is the secret: generated (read-write), or reported as new.
 */
export function controllerSecret(
  store: StateStore,
  name: ControllerSecretName,
  live: readonly LiveSecret[],
  opts: { readonly acceptChange?: boolean } = {},
): ControllerSecret {
  const current = live.filter((s) => s.site === null && s.labels[LABEL.secret] === name);
  const file = store.path(name);
  const value = store.read(name);
  if (value !== undefined) {
    const hash = hashOfValue(value);
    const changed = current.length > 0 && !current.some((s) => s.labels[LABEL.specHash] === hash);
    if (changed && !opts.acceptChange) throw new StateMissingError(mismatch(name, file, current.map((s) => s.name).join(", ")));
    return { state: "known", hash, value };
  }
  if (current.length > 0) {
    const consequence = name === "restic-password" ? ", and every existing backup would become unreadable" : "";
    throw new StateMissingError(
      `the swarm has ${current.map((s) => s.name).join(", ")} but ${file} does not exist: this is not the state directory the ` +
        `controller of instance "${store.instance}" used (lost, emptied, or another --state-dir). Nothing was changed: a new value ` +
        `would replace the live one${consequence}. Restore ${store.dir} from a backup of the state directory, or point --state-dir ` +
        `(or SIMULIUM_STATE_DIR) at the controller's, or read the value back from the swarm with \`simulium state recover --instance ${store.instance}\``,
    );
  }
  if (store.mode === "read-only") return { state: "new" };
  const made = store.createOnce(name, generateSecret(LENGTH[name]));
  return { state: "known", hash: hashOfValue(made), value: made };
}

function mismatch(name: ControllerSecretName, file: string, live: string): string {
  if (name === "restic-password") {
    return (
      `${file} holds a different restic password than the one the backups on the swarm use (${live}); nothing was changed. ` +
      "Put the old password back into that file, or, to rotate it on purpose, first add the new one to every site's repository " +
      "(restic key add) and then apply with --accept-restic-password-change"
    );
  }
  return (
    `${file} holds a different Varnish admin secret than the swarm's (${live}): another controller's state directory, or an old copy; ` +
    "nothing was changed. Use the controller's state directory, or, to rotate the secret on purpose, apply with --rotate-varnish-secret"
  );
}

/** The hash render names the Swarm secret with. */
export function renderHash(secret: ControllerSecret): string {
  return secret.state === "known" ? secret.hash : PENDING_HASH;
}
