import zlib from "node:zlib";
import { archiveProblem, dumpKind, dumpProblem, isTar } from "../../../controller/siteimport/sniff";
import { tarHeader } from "../../../controller/siteimport/tar";

const sql = Buffer.from("-- MariaDB dump 10.19\n/*!40101 SET NAMES utf8mb4 */;\nCREATE TABLE `users` (uid int);\n");
const tar = Buffer.concat([tarHeader({ type: "file", name: "a.txt", size: 0, mode: 0o644, mtime: 0 }), Buffer.alloc(1024)]);

describe("dumpProblem", () => {
  it("accepts SQL and gzip-compressed SQL, whatever the file is called", () => {
    expect(dumpProblem(sql, undefined)).toBeUndefined();
    expect(dumpProblem(Buffer.from("\uFEFFSET FOREIGN_KEY_CHECKS=0;\n"), undefined)).toBeUndefined();
    expect(dumpProblem(Buffer.from("/*M!999999\\- enable the sandbox mode */\n"), undefined)).toBeUndefined();
    const gz = zlib.gzipSync(sql);
    expect(dumpProblem(gz, sql)).toBeUndefined();
    expect(dumpKind(gz)).toBe("sql.gz");
    expect(dumpKind(sql)).toBe("sql");
  });

  it("says what a file that is not a dump is", () => {
    expect(dumpProblem(Buffer.alloc(0), undefined)).toBe("is empty");
    expect(dumpProblem(tar, undefined)).toBe("is a tar archive, not an SQL dump (give the dump itself, .sql or .sql.gz)");
    expect(dumpProblem(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0, 0]), undefined)).toBe("is not an SQL dump (.sql) or a gzip-compressed one (.sql.gz)");
    expect(dumpProblem(Buffer.from("Dear operator, here are my notes"), undefined)).toBe("is not an SQL dump (.sql) or a gzip-compressed one (.sql.gz)");
    expect(dumpProblem(Buffer.from([0x1f, 0x8b, 1, 2]), undefined)).toBe("is gzip but cannot be decompressed");
    expect(dumpProblem(zlib.gzipSync(tar), tar)).toBe("is gzip but does not hold an SQL dump");
  });
});

describe("archiveProblem", () => {
  it("accepts a tar and a gzip-compressed tar", () => {
    expect(isTar(tar)).toBe(true);
    expect(archiveProblem(tar, undefined)).toBeUndefined();
    expect(archiveProblem(zlib.gzipSync(tar), tar)).toBeUndefined();
  });

  it("refuses anything else", () => {
    expect(archiveProblem(sql, undefined)).toBe("is not a tar archive (.tar or .tar.gz) or a directory");
    expect(archiveProblem(zlib.gzipSync(sql), sql)).toBe("is gzip but does not hold a tar archive");
    expect(archiveProblem(Buffer.from("PK\x03\x04zip"), undefined)).toBe("is not a tar archive (.tar or .tar.gz) or a directory");
    expect(archiveProblem(Buffer.alloc(0), undefined)).toBe("is empty");
  });
});
