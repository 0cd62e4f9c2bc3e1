import { CORE_SCHEMA, EVENT_ID, getScalarValue, parseEvents, SCALAR_STYLE } from "js-yaml";
import type { Event, ScalarEvent } from "js-yaml";
import type { PathSegment } from "./issue";

/**
 * The fast path of parsing a manifest: js-yaml's event parser, about 17× faster than building
 * the `yaml` package's Document, which stays the reference (its messages and positions are
 * what an operator sees). This path answers only for the plain subset of YAML on which both
 * parsers provably build the same value (test/unit/manifests/parse-differential.test.ts):
 * one document, no aliases, anchors, tags or directives, scalar keys that read as plain
 * strings, nesting under the structural limit, no duplicate key. For anything else it
 * answers `undefined` and the caller takes the reference path, which accepts or rejects
 * with today's messages.
 */
export interface FastParsed {
  readonly value: unknown;
  /** Offset of the scalar at `path`, where `yaml` would report it; undefined when not a simple scalar. */
  readonly scalarOffset: (path: readonly PathSegment[]) => number | undefined;
}

export function fastParse(text: string, maxDepth: number): FastParsed | undefined {
  let events: Event[];
  try {
    // One past the structural limit, so a file nested deeper fails here and the reference says why.
    events = parseEvents(text, { maxDepth: maxDepth + 1 });
  } catch {
    return undefined;
  }
  const plain = plainValue(text, events, maxDepth);
  if (!plain) return undefined;
  return { value: plain.value, scalarOffset: (path) => scalarOffset(text, events, path) };
}

/** Plain keys that both parsers read as the same string: no number, boolean, null or prototype. */
const PLAIN_KEY = /^[A-Za-z_][A-Za-z0-9_.\/-]*$/;
const NOT_A_STRING_KEY = /^(?:null|Null|NULL|true|True|TRUE|false|False|FALSE|__proto__)$/;

/**
 * Walks the events once, checking the plain subset and building the value as js-yaml's
 * constructFromEvents does on it (the same scalar resolution, plain objects and arrays), in
 * the same walk: constructing separately was a third of the parse. A frame per open
 * collection: for a mapping, `n` counts its children, so an even `n` is a key position.
 * Undefined outside the subset, and for a duplicate key (which constructFromEvents refuses).
 */
function plainValue(text: string, events: readonly Event[], maxDepth: number): { value: unknown } | undefined {
  const stack: Frame[] = [];
  let documents = 0;
  let content = 0;
  let root: unknown;
  // Attaches a finished node to its parent (or makes it the root); false for a duplicate key.
  const attach = (value: unknown): boolean => {
    const parent = stack[stack.length - 1];
    if (parent === undefined) {
      root = value;
      return true;
    }
    if (Array.isArray(parent.value)) {
      parent.value.push(value);
      return true;
    }
    if (Object.prototype.hasOwnProperty.call(parent.value, parent.key)) return false;
    parent.value[parent.key] = value;
    return true;
  };
  for (const e of events) {
    switch (e.type) {
      case EVENT_ID.DOCUMENT:
        documents++;
        if (documents > 1 || e.directives.length > 0) return undefined;
        continue;
      case EVENT_ID.ALIAS:
        return undefined;
      case EVENT_ID.POP: {
        // The document's own end finds no collection open.
        const done = stack.pop();
        if (done !== undefined && !attach(done.value)) return undefined;
        continue;
      }
      default:
        break;
    }
    if (e.anchorStart !== -1 || e.tagStart !== -1) return undefined;
    const parent = stack[stack.length - 1];
    const isKey = parent !== undefined && !Array.isArray(parent.value) && parent.n % 2 === 0;
    if (parent) parent.n++;
    else content++;
    if (e.type === EVENT_ID.SCALAR) {
      if (isKey) {
        if (!plainStringKey(text, e)) return undefined;
        // As js-yaml's object map makes a key: the string of the scalar's value.
        parent.key = String(scalarValue(text, e));
      } else if (!attach(scalarValue(text, e))) return undefined;
      continue;
    }
    // A collection as a key is a complex key, which manifests refuse.
    if (isKey) return undefined;
    // The depth of a collection counted as checkStructure does: the document's root is 0.
    if (stack.length >= maxDepth) return undefined;
    stack.push({ value: e.type === EVENT_ID.MAPPING ? {} : [], n: 0, key: "" });
  }
  // An empty or comment-only file: the reference says so.
  return documents === 1 && content === 1 && stack.length === 0 ? { value: root } : undefined;
}

interface Frame {
  readonly value: Record<string, unknown> | unknown[];
  n: number;
  /** The key read last, in a mapping. */
  key: string;
}

/** A scalar (no tag, no anchor) resolved as js-yaml's constructor does with the core schema. */
function scalarValue(text: string, e: ScalarEvent): unknown {
  const source = getScalarValue(text, e);
  if (e.style === SCALAR_STYLE.PLAIN) return CORE_SCHEMA.resolveImplicitScalarTag(source).value;
  const str = CORE_SCHEMA.defaultScalarTag;
  return str.resolve(source, false, str.tagName);
}

function plainStringKey(text: string, e: ScalarEvent): boolean {
  if (e.style === SCALAR_STYLE.SINGLE_QUOTED || e.style === SCALAR_STYLE.DOUBLE_QUOTED) {
    return !text.slice(e.valueStart, e.valueEnd).includes("__proto__");
  }
  if (e.style !== SCALAR_STYLE.PLAIN) return false;
  const key = text.slice(e.valueStart, e.valueEnd);
  return PLAIN_KEY.test(key) && !NOT_A_STRING_KEY.test(key);
}

/**
 * The offset `yaml` gives the scalar at `path` (its first character; a quoted scalar's
 * opening quote), found by walking the events; undefined for anything else (a block scalar,
 * a collection, an absent field), which the caller locates with the reference parser.
 */
function scalarOffset(source: string, events: readonly Event[], path: readonly PathSegment[]): number | undefined {
  // Index of the event for the node at path[0..depth), starting at the root's.
  let i = events.findIndex((e) => e.type !== EVENT_ID.DOCUMENT);
  for (const seg of path) {
    const node = events[i];
    if (node === undefined || (node.type !== EVENT_ID.MAPPING && node.type !== EVENT_ID.SEQUENCE)) return undefined;
    const mapping = node.type === EVENT_ID.MAPPING;
    let child = i + 1;
    let n = 0;
    let found = -1;
    while (events[child] !== undefined && events[child]?.type !== EVENT_ID.POP) {
      const c = events[child] as Event;
      if (mapping && n % 2 === 0) {
        if (c.type === EVENT_ID.SCALAR && keyText(c) === String(seg)) found = skip(events, child);
      } else if (!mapping && n === Number(seg)) {
        found = child;
      }
      if (found !== -1) break;
      child = skip(events, child);
      n++;
    }
    if (found === -1) return undefined;
    i = found;
  }
  const target = events[i];
  // An empty value (`key:`) has no node in the reference, which points at its key instead.
  if (target === undefined || target.type !== EVENT_ID.SCALAR || target.valueStart < 0 || target.valueEnd <= target.valueStart) return undefined;
  if (target.style === SCALAR_STYLE.PLAIN) return target.valueStart;
  if (target.style === SCALAR_STYLE.SINGLE_QUOTED || target.style === SCALAR_STYLE.DOUBLE_QUOTED) return target.valueStart - 1;
  return undefined;

  function keyText(e: ScalarEvent): string | undefined {
    // Keys are plain or quoted strings here (plainSubset); a quoted key with an escape is not matched.
    const raw = source.slice(e.valueStart, e.valueEnd);
    return e.style !== SCALAR_STYLE.PLAIN && /[\\']/.test(raw) ? undefined : raw;
  }
}

/** The index just past the node starting at `i` (a scalar, or a collection through its POP). */
function skip(events: readonly Event[], i: number): number {
  const e = events[i];
  if (e === undefined || (e.type !== EVENT_ID.MAPPING && e.type !== EVENT_ID.SEQUENCE)) return i + 1;
  let depth = 0;
  let j = i;
  do {
    const t = events[j]?.type;
    if (t === EVENT_ID.MAPPING || t === EVENT_ID.SEQUENCE) depth++;
    else if (t === EVENT_ID.POP) depth--;
    j++;
  } while (depth > 0 && j < events.length);
  return j;
}
