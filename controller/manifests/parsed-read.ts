import { fastParseParts, FastParts } from "./fast-parse";
import type { RepoFile, RepoRead } from "./read";
import type { ManifestError } from "./types";

/**
 * A repository read and parsed on a worker thread, as it crosses to the main thread
 * (manifests/read-ahead.ts): the files and errors of the read, each file's fast-path value
 * (undefined off the fast path: the main thread parses it as ever), and every file's event
 * table in one buffer, which is moved rather than copied. Ten thousand small tables each in
 * its own buffer would cost a transfer each.
 */
export interface PackedRead {
  readonly files: readonly RepoFile[];
  readonly errors: readonly ManifestError[];
  readonly values: readonly unknown[];
  /** 1 where files[i] was parsed on the fast path. */
  readonly fast: Uint8Array;
  /** The event tables of the files, one after the other. */
  readonly events: Int32Array;
  /** files[i]'s table is events[bounds[i], bounds[i + 1]). */
  readonly bounds: Int32Array;
}

/** The read and each file's fast parse, packed. Pure. */
export function packRead(read: RepoRead, maxDepth: number): PackedRead {
  const parts = read.files.map((f) => fastParseParts(f.text, maxDepth));
  const bounds = new Int32Array(parts.length + 1);
  parts.forEach((p, i) => (bounds[i + 1] = (bounds[i] as number) + (p?.events.length ?? 0)));
  const events = new Int32Array(bounds[parts.length] as number);
  parts.forEach((p, i) => p && events.set(p.events, bounds[i]));
  return {
    files: read.files,
    errors: read.errors,
    values: parts.map((p) => p?.value),
    fast: Uint8Array.from(parts, (p) => (p ? 1 : 0)),
    events,
    bounds,
  };
}

/** The buffers packRead's answer moves to the receiving thread. */
export const packedBuffers = (packed: PackedRead): ArrayBuffer[] => [packed.events.buffer as ArrayBuffer, packed.bounds.buffer as ArrayBuffer];

/** The packed read as loadFiles takes it: RepoRead.parsed holds the files parsed on the fast path. Pure. */
export function unpackRead(packed: PackedRead): RepoRead {
  const parsed = new Map<string, FastParts>();
  packed.files.forEach((f, i) => {
    if (packed.fast[i] !== 1) return;
    parsed.set(f.path, { value: packed.values[i], events: packed.events.subarray(packed.bounds[i], packed.bounds[i + 1]) });
  });
  return { files: packed.files, errors: packed.errors, parsed };
}

/** A message from the worker, checked before it is read as a PackedRead. */
export function isPackedRead(x: unknown): x is PackedRead {
  if (typeof x !== "object" || x === null) return false;
  const p = x as Record<string, unknown>;
  return (
    Array.isArray(p.files) &&
    Array.isArray(p.errors) &&
    Array.isArray(p.values) &&
    p.values.length === p.files.length &&
    p.fast instanceof Uint8Array &&
    p.fast.length === p.files.length &&
    p.events instanceof Int32Array &&
    p.bounds instanceof Int32Array &&
    p.bounds.length === p.files.length + 1
  );
}
