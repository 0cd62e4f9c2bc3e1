/**
 * The engine's multiplexed log format (no TTY): frames of an 8-byte header (stream type,
 * three zero bytes, big-endian length) and the payload. Stdout and stderr are kept in order.
 */
export function demuxLogs(buf: Buffer): string {
  const parts: Buffer[] = [];
  let at = 0;
  while (at + 8 <= buf.length) {
    const size = buf.readUInt32BE(at + 4);
    parts.push(buf.subarray(at + 8, Math.min(buf.length, at + 8 + size)));
    at += 8 + size;
  }
  return Buffer.concat(parts).toString("utf8");
}
