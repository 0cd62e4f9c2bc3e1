import { createHash } from "node:crypto";

/** JSON with sorted keys, so equal data always hashes equal whatever the key order. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(sortKeys(value));
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value !== null && typeof value === "object") {
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(value).sort()) {
      const v = (value as Record<string, unknown>)[key];
      if (v !== undefined) out[key] = sortKeys(v);
    }
    return out;
  }
  return value;
}

export function shortHash(value: unknown, length = 12): string {
  return createHash("sha256").update(canonicalJson(value)).digest("hex").slice(0, length);
}
