import { createHash } from "node:crypto";

/**
 * JSON with sorted keys, so equal data always hashes equal whatever the key order. Written
 * out directly rather than through a key-sorted copy: every object of every site is hashed,
 * and the copies were most of the render's garbage at 10,000 sites.
 */
export function canonicalJson(value: unknown): string {
  return write(value) ?? "null";
}

/** undefined for what JSON.stringify leaves out (undefined, functions) inside objects. */
function write(value: unknown): string | undefined {
  if (value === null) return "null";
  if (Array.isArray(value)) {
    let out = "[";
    for (let i = 0; i < value.length; i++) out += (i > 0 ? "," : "") + (write(value[i]) ?? "null");
    return out + "]";
  }
  if (typeof value === "object") {
    const obj = value as Record<string, unknown>;
    let out = "{";
    for (const key of Object.keys(obj).sort()) {
      const v = write(obj[key]);
      if (v !== undefined) out += (out.length > 1 ? "," : "") + JSON.stringify(key) + ":" + v;
    }
    return out + "}";
  }
  if (value === undefined || typeof value === "function" || typeof value === "symbol") return undefined;
  return JSON.stringify(value);
}

export function shortHash(value: unknown, length = 12): string {
  return createHash("sha256").update(canonicalJson(value)).digest("hex").slice(0, length);
}
