import { Readable } from "node:stream";

/**
 * A minimal ustar writer for what the import uploads into its job's container (the engine's
 * archive API takes a tar): directories and regular files with short names, root-owned.
 * Pure but for the file streams it is given.
 */

export type TarEntry =
  | { readonly type: "dir"; readonly name: string; readonly mode?: number }
  | { readonly type: "file"; readonly name: string; readonly size: number; readonly mode?: number; readonly content: () => AsyncIterable<Buffer> | Iterable<Buffer> };

const BLOCK = 512;

/** The 512-byte header of one entry. Names are ASCII and at most 100 bytes (ours are fixed). */
export function tarHeader(entry: { readonly type: "dir" | "file"; readonly name: string; readonly size: number; readonly mode: number; readonly mtime: number }): Buffer {
  const name = entry.type === "dir" && !entry.name.endsWith("/") ? `${entry.name}/` : entry.name;
  if (Buffer.byteLength(name) > 100 || !/^[\x20-\x7e]+$/.test(name)) throw new Error(`internal: tar entry name not supported: ${name}`);
  const h = Buffer.alloc(BLOCK, 0);
  const octal = (value: number, width: number) => value.toString(8).padStart(width - 1, "0") + "\0";
  h.write(name, 0, "ascii");
  h.write(octal(entry.mode, 8), 100, "ascii");
  h.write(octal(0, 8), 108, "ascii");
  h.write(octal(0, 8), 116, "ascii");
  // 12-byte size field: 11 octal digits reach 8 GiB; larger sizes use the GNU base-256 form.
  if (entry.size < 8 ** 11) h.write(octal(entry.size, 12), 124, "ascii");
  else {
    h[124] = 0x80;
    h.writeBigUInt64BE(BigInt(entry.size), 128);
  }
  h.write(octal(entry.mtime, 12), 136, "ascii");
  h.write(entry.type === "dir" ? "5" : "0", 156, "ascii");
  h.write("ustar\0" + "00", 257, "ascii");
  h.fill(0x20, 148, 156);
  let sum = 0;
  for (const byte of h) sum += byte;
  h.write(sum.toString(8).padStart(6, "0") + "\0 ", 148, "ascii");
  return h;
}

/** The whole archive as a stream: each header, each file's bytes padded to a block, two zero blocks. */
export function tarStream(entries: readonly TarEntry[], mtime = Math.floor(Date.now() / 1000)): Readable {
  async function* blocks(): AsyncGenerator<Buffer> {
    for (const e of entries) {
      const size = e.type === "file" ? e.size : 0;
      yield tarHeader({ type: e.type, name: e.name, size, mode: e.mode ?? (e.type === "dir" ? 0o755 : 0o644), mtime });
      if (e.type !== "file") continue;
      let written = 0;
      for await (const chunk of e.content()) {
        written += chunk.length;
        if (written > size) throw new Error(`${e.name} grew while it was uploaded`);
        yield chunk;
      }
      if (written !== size) throw new Error(`${e.name} changed size while it was uploaded (${written} of ${size} bytes)`);
      if (size % BLOCK !== 0) yield Buffer.alloc(BLOCK - (size % BLOCK), 0);
    }
    yield Buffer.alloc(2 * BLOCK, 0);
  }
  return Readable.from(blocks());
}
