import { LABEL } from "../desired/labels";
import type { DesiredState } from "../desired/types";
import type { LiveState } from "../live/types";
import { PASSWORD_LOGICAL } from "./names";

/**
 * A restic password that would replace the one the swarm's backups were written with: every
 * existing backup would become unreadable and the next backup would fail on the repository.
 * The state directory's generated password is guarded where it is read
 * (state/controller-secret.ts); this catches the rest: generated → sealed, and a sealed value
 * replaced by another ciphertext (a new password, or the same one re-sealed, which cannot be told
 * apart without decrypting the live secret, which Swarm never gives back).
 */
export class ResticPasswordChangeError extends Error {
  constructor(
    readonly live: readonly string[],
    readonly desired: string,
  ) {
    super(
      `simulium.yaml: backup.password would replace the restic password the swarm's backups use (${live.join(", ")} → ${desired}); ` +
        "nothing was changed: every existing backup would become unreadable. Put the previous setting back (for a generated password, " +
        "remove backup.password's sealed value; for a sealed one, the previous ciphertext), or, to change it on purpose, first add the " +
        "new password to every site's repository (restic key add) and then apply with --accept-restic-password-change " +
        "(also when the same password was only re-sealed)",
    );
    this.name = "ResticPasswordChangeError";
  }
}

/** The change, or undefined when the password stays (or there is no live password yet). Pure. */
export function resticPasswordChange(desired: DesiredState, live: LiveState): ResticPasswordChangeError | undefined {
  const wanted = desired.resources.find((r) => r.kind === "secret" && r.site === null && r.logicalName === PASSWORD_LOGICAL);
  if (wanted === undefined) return undefined;
  const current = live.secrets.filter((s) => s.site === null && s.labels[LABEL.secret] === PASSWORD_LOGICAL).map((s) => s.name);
  if (current.length === 0 || current.includes(wanted.name)) return undefined;
  return new ResticPasswordChangeError(current, wanted.name);
}
