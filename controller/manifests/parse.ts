import { formatPath, Issue } from "./issue";
import { fastParse } from "./fast-parse";
import { MAX_DEPTH } from "./layout";
import type { ManifestError, ParsedManifest, ParseResult } from "./types";

export type { ParsedManifest, ParseResult } from "./types";

/**
 * The reference parser (parse-reference.ts), loaded on first use: it brings the `yaml`
 * package, which a repository of valid plain manifests never needs.
 */
export function parseReference(file: string, text: string): ParseResult {
  const reference = require("./parse-reference") as typeof import("./parse-reference");
  return reference.parseReference(file, text);
}

/**
 * YAML text → plain data. Pure. Refuses what an operator never needs and an attacker
 * would use: several documents, aliases (billion laughs), complex keys, unknown tags,
 * duplicate keys, absurd nesting.
 */
export function parseManifest(file: string, text: string): ParseResult {
  const fast = fastParse(text, MAX_DEPTH);
  if (!fast) return parseReference(file, text);
  // The reference Document is built only when something must be located that the events
  // cannot place exactly (a key, an absent field, a block scalar): an invalid file, mostly.
  let reference: ParsedManifest | undefined;
  const referenceLocate = (issue: Issue): ManifestError => {
    if (!reference) {
      const again = parseReference(file, text);
      // Unreachable while the differential test holds: both parsers accept the same files.
      if (!again.ok) return { file, line: 0, column: 0, path: formatPath(issue.path), message: issue.message };
      reference = again.manifest;
    }
    return reference.locate(issue);
  };
  return {
    ok: true,
    manifest: {
      file,
      value: fast.value,
      locate: (issue) => {
        const offset = issue.at === "key" ? undefined : fast.scalarOffset(issue.path);
        if (offset === undefined) return referenceLocate(issue);
        const { line, column } = linePos(text, offset);
        return { file, line, column, path: formatPath(issue.path), message: issue.message };
      },
    },
  };
}

/** 1-based line and column of `offset`, as yaml's LineCounter gives them. */
function linePos(text: string, offset: number): { line: number; column: number } {
  let line = 1;
  let start = 0;
  for (let i = text.indexOf("\n"); i !== -1 && i < offset; i = text.indexOf("\n", i + 1)) {
    line++;
    start = i + 1;
  }
  return { line, column: offset - start + 1 };
}

