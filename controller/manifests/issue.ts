/**
 * A problem found by a pure rule, before it is located in a file. Rules speak in field
 * paths (plain data); the loader turns each into a ManifestError with line and column.
 */
export interface Issue {
  /** Field path as segments, e.g. ["spec", "domains", 1]. */
  readonly path: readonly PathSegment[];
  readonly message: string;
  /**
   * Which part of the YAML to point at: the value at `path` (default), the key naming it
   * (an unknown field), or the object holding it (a missing field).
   */
  readonly at?: "value" | "key";
}

export type PathSegment = string | number;

/** `["spec", "domains", 1]` → `spec.domains[1]`; odd keys are quoted: `labels["a.b"]`. */
export function formatPath(path: readonly PathSegment[]): string {
  let out = "";
  for (const seg of path) {
    if (typeof seg === "number") out += `[${seg}]`;
    else if (/^[A-Za-z_][A-Za-z0-9_-]*$/.test(seg)) out += out === "" ? seg : `.${seg}`;
    else out += `[${quote(seg)}]`;
  }
  return out;
}

/**
 * Quotes a value for an operator-facing message. Control characters and every non-ASCII
 * character are escaped, so a newline cannot forge an extra output line and a Cyrillic
 * 'а' posing as a Latin 'a' shows up as \u0430. Long values are cut.
 */
export function quote(value: unknown, max = 80): string {
  if (typeof value !== "string") return escapeUnprintable(JSON.stringify(value) ?? String(value)).slice(0, max);
  const cut = value.length > max ? `${value.slice(0, max)}...` : value;
  return escapeUnprintable(JSON.stringify(cut));
}

/** Escapes everything outside printable ASCII as \uXXXX (a line can never be split). */
export function escapeUnprintable(text: string): string {
  return text.replace(/[^\x20-\x7e]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`);
}
