import type { DesiredState } from "../desired/types";

/** A secret value the controller knows, and the name that replaces it in stored text. */
export interface KnownSecret {
  readonly name: string;
  readonly value: string;
}

/** Shorter values would shred ordinary text ("admin", "123"); real secrets are longer. */
export const MIN_REDACTED_LENGTH = 6;

/**
 * `text` with every known value replaced by `[redacted:<name>]`. Job output (a hook's tail)
 * goes into labels, /status, notifications and logs: none of them may hold a secret. Longer
 * values first, so a value containing another is replaced whole. Pure.
 */
export function redactKnown(text: string, secrets: readonly KnownSecret[]): string {
  const usable = secrets
    // A value file's trailing line break is not part of what a command prints with it.
    .map((s) => ({ name: s.name, value: s.value.replace(/\r?\n$/, "") }))
    .filter((s) => s.value.length >= MIN_REDACTED_LENGTH)
    .sort((a, b) => b.value.length - a.value.length);
  let out = text;
  for (const s of usable) out = out.split(s.value).join(`[redacted:${s.name}]`);
  return out;
}

/**
 * The values a site's jobs can see and the controller knows: the site's secrets whose value
 * the controller holds (sealed ones, decrypted at plan time) and the instance's shared ones
 * (the restic password, the Varnish admin secret), plus `extra`. Generated values are made by
 * the engine's side at apply and never known to the controller, so they cannot be redacted.
 */
export function siteSecretValues(
  desired: DesiredState,
  value: (swarmName: string) => Buffer | undefined,
  extra: readonly KnownSecret[] = [],
): (site: string) => KnownSecret[] {
  return (site) => {
    const out: KnownSecret[] = [];
    for (const r of desired.resources) {
      if (r.kind !== "secret" || (r.site !== site && r.site !== null)) continue;
      const v = value(r.name);
      if (v !== undefined) out.push({ name: r.logicalName, value: v.toString("utf8") });
    }
    return [...out, ...extra];
  };
}
