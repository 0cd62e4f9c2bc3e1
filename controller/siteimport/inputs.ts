import { open, stat } from "node:fs/promises";
import zlib from "node:zlib";
import { ImportError } from "./errors";
import { archiveProblem, DumpKind, dumpKind, dumpProblem, HEAD_BYTES } from "./sniff";

export interface DumpInput {
  readonly path: string;
  readonly kind: DumpKind;
  readonly size: number;
}

export type FilesInput = { readonly kind: "archive"; readonly path: string; readonly size: number } | { readonly kind: "dir"; readonly path: string };

/** The dump, checked to be SQL or gzip-compressed SQL by its content (not its name). */
export async function readDumpInput(path: string): Promise<DumpInput> {
  const { size } = await statOf(path, "the dump");
  const head = await headOf(path);
  const problem = dumpProblem(head, gunzipHead(head));
  if (problem) throw new ImportError(`the dump ${path} ${problem}`);
  return { path, kind: dumpKind(head), size };
}

/** A directory, or a file that is a tar or a gzip-compressed tar. */
export async function readFilesInput(path: string): Promise<FilesInput> {
  const info = await stat(path).catch(() => undefined);
  if (!info) throw new ImportError(`--files ${path} does not exist (give a directory or a .tar/.tar.gz archive)`);
  if (info.isDirectory()) return { kind: "dir", path };
  if (!info.isFile()) throw new ImportError(`--files ${path} is neither a directory nor a file`);
  const head = await headOf(path);
  const problem = archiveProblem(head, gunzipHead(head));
  if (problem) throw new ImportError(`the files archive ${path} ${problem}`);
  return { kind: "archive", path, size: info.size };
}

async function statOf(path: string, what: string) {
  const info = await stat(path).catch(() => undefined);
  if (!info) throw new ImportError(`${what} ${path} does not exist`);
  if (!info.isFile()) throw new ImportError(`${what} ${path} is not a file`);
  return info;
}

async function headOf(path: string): Promise<Buffer> {
  const handle = await open(path, "r");
  try {
    const buf = Buffer.alloc(HEAD_BYTES);
    const { bytesRead } = await handle.read(buf, 0, HEAD_BYTES, 0);
    return buf.subarray(0, bytesRead);
  } finally {
    await handle.close();
  }
}

/** The start of a gzip stream's content from its first bytes (a partial stream is fine). */
function gunzipHead(head: Buffer): Buffer | undefined {
  if (head.length < 2 || head[0] !== 0x1f || head[1] !== 0x8b) return undefined;
  try {
    // A few KB of input is enough to see the content, and bounds what a very compressible file expands to.
    return zlib.gunzipSync(head.subarray(0, 4096), { finishFlush: zlib.constants.Z_SYNC_FLUSH, maxOutputLength: 16 * 1024 * 1024 });
  } catch {
    return undefined;
  }
}
