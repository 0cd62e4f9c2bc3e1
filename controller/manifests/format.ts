import { escapeUnprintable } from "./issue";
import type { ManifestError } from "./types";

/**
 * One line per problem, in the `file:line:column: path: message` shape compilers use, so
 * editors and CI annotate the exact spot. Whole-file problems (line 0) drop the position;
 * whole-document problems drop the path.
 */
export function formatError(e: ManifestError): string {
  const where = e.line > 0 ? `${escapeUnprintable(e.file)}:${e.line}:${e.column}` : escapeUnprintable(e.file);
  const path = e.path === "" ? "" : `${escapeUnprintable(e.path)}: `;
  return `${where}: ${path}${escapeUnprintable(e.message)}`;
}

/** The machine-readable shape of an error (`simulium validate --json`). */
export function errorToJson(e: ManifestError): { file: string; line: number; column: number; path: string; message: string } {
  return { file: e.file, line: e.line, column: e.column, path: e.path, message: e.message };
}

