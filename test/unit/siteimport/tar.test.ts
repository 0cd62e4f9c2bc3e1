import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { tarHeader, tarStream } from "../../../controller/siteimport/tar";

async function collect(stream: NodeJS.ReadableStream): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const chunk of stream) parts.push(chunk as Buffer);
  return Buffer.concat(parts);
}

describe("tarStream", () => {
  it("writes an archive GNU tar extracts: a directory and files, padded to blocks", async () => {
    const big = Buffer.alloc(1000, 0x61);
    const archive = await collect(
      tarStream([
        { type: "dir", name: "import", mode: 0o700 },
        { type: "file", name: "import/db.sql", size: 5, content: () => [Buffer.from("SELEC"), Buffer.alloc(0)] },
        { type: "file", name: "import/big", size: big.length, mode: 0o600, content: () => [big.subarray(0, 300), big.subarray(300)] },
        { type: "file", name: "import/.ready", size: 0, content: () => [] },
      ]),
    );
    expect(archive.length % 512).toBe(0);
    const dir = mkdtempSync(path.join(os.tmpdir(), "simulium-tar-"));
    try {
      const r = spawnSync("tar", ["-x", "-f", "-", "-C", dir], { input: archive });
      expect(r.stderr.toString()).toBe("");
      expect(r.status).toBe(0);
      expect(readFileSync(path.join(dir, "import/db.sql"), "utf8")).toBe("SELEC");
      expect(readFileSync(path.join(dir, "import/big")).equals(big)).toBe(true);
      expect(statSync(path.join(dir, "import/big")).mode & 0o777).toBe(0o600);
      expect(statSync(path.join(dir, "import")).mode & 0o777).toBe(0o700);
      expect(statSync(path.join(dir, "import/.ready")).size).toBe(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("fails the stream when a file is not the size announced (it changed during the upload)", async () => {
    await expect(collect(tarStream([{ type: "file", name: "a", size: 10, content: () => [Buffer.from("short")] }]))).rejects.toThrow("a changed size while it was uploaded (5 of 10 bytes)");
    await expect(collect(tarStream([{ type: "file", name: "a", size: 2, content: () => [Buffer.from("longer")] }]))).rejects.toThrow("a grew while it was uploaded");
  });

  it("has a valid checksum and the base-256 size form past 8 GiB", () => {
    const h = tarHeader({ type: "file", name: "db.sql.gz", size: 9 * 1024 ** 3, mode: 0o600, mtime: 0 });
    expect(h[124]).toBe(0x80);
    expect(h.readBigUInt64BE(128)).toBe(BigInt(9 * 1024 ** 3));
    const stored = parseInt(h.subarray(148, 154).toString("ascii"), 8);
    const sum = [...h].reduce((a, b, i) => a + (i >= 148 && i < 156 ? 0x20 : b), 0);
    expect(stored).toBe(sum);
    expect(() => tarHeader({ type: "file", name: "x".repeat(101), size: 0, mode: 0, mtime: 0 })).toThrow("not supported");
  });
});
