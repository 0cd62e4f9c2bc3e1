import { isAlias, isMap, isPair, isScalar, isSeq, LineCounter, parseAllDocuments, Document, Node as YamlNode } from "yaml";
import { formatPath, PathSegment } from "./issue";
import { MAX_DEPTH } from "./layout";
import type { ManifestError, ParseResult } from "./types";

/**
 * The reference parser, apart from parse.ts so that `yaml` (~25 ms of every start) is loaded
 * only when a file needs it: one outside the fast path's plain subset, or an invalid one to
 * locate. Its Document is what a manifest means and where every `file:line:column` points.
 */

/** The reference parser (`yaml`): its Document knows where every node is. */
export function parseReference(file: string, text: string): ParseResult {
  const lineCounter = new LineCounter();
  const docs = parseAllDocuments(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  const at = (offset: number, message: string, path = ""): ManifestError => {
    const { line, col } = lineCounter.linePos(offset);
    return { file, line, column: col, path, message };
  };
  // An empty or comment-only file parses to no document (or one with no contents).
  const list = Array.isArray(docs) ? docs : [];
  const first = list[0];
  if (!first || first.contents === null) return { ok: false, errors: [{ file, line: 0, column: 0, path: "", message: "the file is empty" }] };
  const second = list[1];
  if (second) {
    return { ok: false, errors: [at(second.range[0], "holds more than one YAML document: one manifest per file, remove the '---' separator")] };
  }
  const problems = [...first.errors, ...first.warnings].map((e) => at(e.pos[0], yamlMessage(e.code, e.message)));
  if (problems.length > 0) return { ok: false, errors: problems };
  const structural = checkStructure(first, at);
  if (structural.length > 0) return { ok: false, errors: structural };

  const doc = first;
  return {
    ok: true,
    manifest: {
      file,
      value: doc.toJS({ maxAliasCount: 0 }) as unknown,
      locate: (issue) => {
        const node = nodeAt(doc, issue.path, issue.at ?? "value");
        return at(node?.range?.[0] ?? 0, issue.message, formatPath(issue.path));
      },
    },
  };
}

function yamlMessage(code: string, message: string): string {
  switch (code) {
    case "DUPLICATE_KEY":
      return "a key appears twice in the same mapping: keep only one";
    case "TAG_RESOLVE_FAILED":
      return `${message}: YAML tags are not used in manifests`;
    case "RESOURCE_EXHAUSTION":
      return "the YAML is nested too deeply";
    default:
      return `invalid YAML: ${message.split("\n")[0] ?? message}`;
  }
}

type At = (offset: number, message: string, path?: string) => ManifestError;

/** Iterative (not recursive), so hostile nesting cannot exhaust the stack here. */
function checkStructure(doc: Document.Parsed, at: At): ManifestError[] {
  const errors: ManifestError[] = [];
  const stack: Array<{ node: unknown; depth: number }> = [{ node: doc.contents, depth: 0 }];
  while (stack.length > 0) {
    const { node, depth } = stack.pop() ?? { node: null, depth: 0 };
    if (isAlias(node)) {
      errors.push(at(node.range?.[0] ?? 0, "YAML aliases (*name) are not allowed in manifests: write the value out"));
    } else if (isMap(node) || isSeq(node)) {
      if (depth >= MAX_DEPTH) {
        errors.push(at(node.range?.[0] ?? 0, `the YAML is nested more than ${MAX_DEPTH} levels deep`));
        continue;
      }
      for (const item of node.items) {
        if (isPair(item)) {
          if (!isScalar(item.key)) {
            const key = item.key as { range?: [number, number, number] } | null;
            errors.push(at(key?.range?.[0] ?? node.range?.[0] ?? 0, "a mapping key must be a plain string"));
          }
          stack.push({ node: item.value, depth: depth + 1 });
        } else {
          stack.push({ node: item, depth: depth + 1 });
        }
      }
    }
  }
  return errors.sort((a, b) => a.line - b.line || a.column - b.column);
}

/**
 * The deepest node on `path` (a field that is absent points at its nearest present
 * ancestor, which is where it must be added). `key` points at the key of the last
 * segment instead of its value.
 */
function nodeAt(doc: Document.Parsed, path: readonly PathSegment[], want: "value" | "key"): YamlNode | undefined {
  let node = doc.contents as YamlNode | null;
  for (let i = 0; i < path.length; i++) {
    const seg = path[i];
    if (isMap(node)) {
      const pair = node.items.find((p) => isScalar(p.key) && String(p.key.value) === String(seg));
      if (!pair) return node;
      if (want === "key" && i === path.length - 1) return pair.key as YamlNode;
      const value = pair.value as YamlNode | null;
      // `key:` with no value has no node of its own: point at the key.
      node = value ?? (pair.key as YamlNode);
      if (!value) return node;
    } else if (isSeq(node)) {
      const item = node.items[Number(seg)] as YamlNode | undefined;
      if (!item) return node;
      node = item;
    } else {
      return node ?? undefined;
    }
  }
  return node ?? undefined;
}
