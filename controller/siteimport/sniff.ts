/**
 * What an import input is, from its first bytes. Pure: the caller reads the head of the file
 * (and, for gzip, of its decompressed content) and says what it found.
 */

export const HEAD_BYTES = 64 * 1024;

export function isGzip(head: Buffer): boolean {
  return head.length >= 2 && head[0] === 0x1f && head[1] === 0x8b;
}

/** A POSIX (ustar) or GNU tar header: the magic at offset 257 of the first block. */
export function isTar(head: Buffer): boolean {
  return head.length >= 263 && head.subarray(257, 262).toString("latin1") === "ustar";
}

/**
 * Text that reads as SQL: no NUL byte (a binary file), and a dump's usual opening, a comment
 * or a statement keyword near the start. A dump made by mariadb-dump, mysqldump, phpMyAdmin
 * or Drush passes; a tar, an image or a PDF does not.
 */
export function looksLikeSql(head: Buffer): boolean {
  if (head.length === 0 || head.includes(0)) return false;
  const text = head.toString("utf8").replace(/^\uFEFF/, "");
  return /^\s*(--|#|\/\*)/.test(text) || /^\s*(CREATE|INSERT|DROP|SET|USE|LOCK|START|BEGIN|ALTER|REPLACE)\b/im.test(text);
}

export type DumpKind = "sql" | "sql.gz";
export type ArchiveKind = "tar" | "tar.gz";

/** `undefined` when the dump is fine, else what is wrong with it (for "FILE <problem>"). */
export function dumpProblem(head: Buffer, gunzipped: Buffer | undefined): string | undefined {
  if (head.length === 0) return "is empty";
  if (isGzip(head)) {
    if (gunzipped === undefined) return "is gzip but cannot be decompressed";
    return looksLikeSql(gunzipped) ? undefined : "is gzip but does not hold an SQL dump";
  }
  if (isTar(head)) return "is a tar archive, not an SQL dump (give the dump itself, .sql or .sql.gz)";
  return looksLikeSql(head) ? undefined : "is not an SQL dump (.sql) or a gzip-compressed one (.sql.gz)";
}

export function dumpKind(head: Buffer): DumpKind {
  return isGzip(head) ? "sql.gz" : "sql";
}

/** `undefined` when the files archive is a tar or a gzip-compressed tar, else what is wrong. */
export function archiveProblem(head: Buffer, gunzipped: Buffer | undefined): string | undefined {
  if (head.length === 0) return "is empty";
  if (isGzip(head)) {
    if (gunzipped === undefined) return "is gzip but cannot be decompressed";
    return isTar(gunzipped) ? undefined : "is gzip but does not hold a tar archive";
  }
  return isTar(head) ? undefined : "is not a tar archive (.tar or .tar.gz) or a directory";
}
