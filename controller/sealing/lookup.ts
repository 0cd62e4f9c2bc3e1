import type { DesiredState } from "../desired/types";
import { sealedKey } from "./unseal-sites";

/**
 * Apply asks for a secret's value by its versioned Swarm name; the decrypted values are held
 * by site and logical name. The map is in a closure so the values never sit in a plain object
 * that a log line or JSON.stringify could print.
 */
export function sealedLookup(desired: DesiredState, values: ReadonlyMap<string, Buffer>): (secretName: string) => Buffer | undefined {
  const bySwarmName = new Map<string, Buffer>();
  for (const r of desired.resources) {
    if (r.kind !== "secret" || r.site === null || !("sealed" in r.source)) continue;
    const value = values.get(sealedKey(r.site, r.logicalName));
    if (value !== undefined) bySwarmName.set(r.name, value);
  }
  return (secretName) => bySwarmName.get(secretName);
}
