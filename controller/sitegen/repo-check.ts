import { formatError } from "../manifests/format";
import { loadFiles } from "../manifests/load";
import type { RepoFile } from "../manifests/read";
import type { ManifestError } from "../manifests/types";

/**
 * Why a new site file may not join a repository, or an empty list. Pure: the repository's files
 * (and the read edge's errors) as they are, and the new file.
 *
 * The new file's own errors are not enough: cross-site rules give a domain to the site whose file
 * sorts first, so a new `alpha.yaml` claiming `shop.yaml`'s domain would be valid itself and turn
 * `shop` invalid instead. Every error the repository would gain, in any file, refuses the new site;
 * errors it already had (another site broken before) are not the new site's doing.
 */
export function newSiteProblems(files: readonly RepoFile[], readErrors: readonly ManifestError[], added: RepoFile): string[] {
  const before = loadFiles(files, readErrors);
  const after = loadFiles([...files, added], readErrors);
  if (!after.cluster) return [`the repository's simulium.yaml is invalid; fix it first:\n${after.errors.map(formatError).join("\n")}`];
  const known = new Set(before.errors.map(formatError));
  const gained = after.errors.filter((e) => !known.has(formatError(e)));
  const own = gained.filter((e) => e.file === added.path);
  const problems = own.length > 0 ? [`the new site would be invalid:\n${own.map(formatError).join("\n")}`] : [];
  const others = new Map<string, ManifestError[]>();
  for (const e of gained) if (e.file !== added.path) others.set(e.file, [...(others.get(e.file) ?? []), e]);
  for (const [file, errors] of [...others].sort(([a], [b]) => (a < b ? -1 : 1))) {
    problems.push(`the new site would make ${file} invalid:\n${errors.map(formatError).join("\n")}`);
  }
  return problems;
}
