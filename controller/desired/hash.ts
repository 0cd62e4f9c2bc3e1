import { hash } from "node:crypto";

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
    for (const key of sortedKeys(obj)) {
      const v = write(obj[key]);
      if (v !== undefined) out += (out.length > 1 ? "," : "") + quote(key) + ":" + v;
    }
    return out + "}";
  }
  if (typeof value === "string") return quote(value);
  if (value === undefined || typeof value === "function" || typeof value === "symbol") return undefined;
  return JSON.stringify(value);
}

/**
 * Object.keys in the order Array#sort gives strings (UTF-16 code units). Labels and env hold a
 * handful of keys, and Array#sort's work copy per call was a quarter of the render's garbage
 * at 10,000 sites: an insertion sort in place allocates nothing. Long lists still use sort.
 */
export function sortedKeys(obj: object): string[] {
  const keys = Object.keys(obj);
  if (keys.length > INSERTION_SORT_MAX) return keys.sort();
  for (let i = 1; i < keys.length; i++) {
    const key = keys[i] as string;
    let j = i - 1;
    for (; j >= 0 && (keys[j] as string) > key; j--) keys[j + 1] = keys[j] as string;
    keys[j + 1] = key;
  }
  return keys;
}

const INSERTION_SORT_MAX = 24;

/** Characters JSON.stringify escapes in a string; most names and labels have none. */
const NEEDS_ESCAPE = /["\\\u0000-\u001f\u007f-\uffff]/;

/** JSON.stringify of a string, without its call for the common plain ones (the render's hot path). */
export function quote(s: string): string {
  return NEEDS_ESCAPE.test(s) ? JSON.stringify(s) : `"${s}"`;
}

export function shortHash(value: unknown, length = 12): string {
  return hashOfJson(canonicalJson(value), length);
}

/** shortHash of a value whose canonical JSON the caller already wrote. */
export function hashOfJson(json: string, length = 12): string {
  return digestOf(json).slice(0, length);
}

/**
 * Small inputs repeat across sites (every site's database password is made the same way,
 * every volume has the same driver): their digests are remembered, which spares most of the
 * render's hash calls, each a trip into the crypto binding. Bounded, and invisible to callers.
 */
const SMALL_INPUT = 256;
const MAX_REMEMBERED = 4096;
const remembered = new Map<string, string>();

function digestOf(json: string): string {
  // The one-shot hash (Node >= 20.12) skips a Hash object per call: a third faster here.
  if (json.length > SMALL_INPUT) return hash("sha256", json, "hex");
  let digest = remembered.get(json);
  if (digest === undefined) {
    if (remembered.size >= MAX_REMEMBERED) remembered.clear();
    digest = hash("sha256", json, "hex");
    remembered.set(json, digest);
  }
  return digest;
}
