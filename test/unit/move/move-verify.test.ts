import { execFileSync } from "node:child_process";
import { chmodSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { MANIFEST_MARKER, manifestFunction, manifestMismatch, parseManifest, receiverScript, senderScript } from "../../../controller/move/scripts";

/**
 * The verify step: both jobs print a digest of every file they hold, and the move switches only
 * when they match. The shell function runs here as the jobs run it (sh, find, sort, sha256sum).
 */
describe("move: verifying the copy", () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), "move-verify-"));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const tree = (name: string, files: Record<string, string>): string => {
    const root = path.join(dir, name);
    for (const [file, content] of Object.entries(files)) {
      mkdirSync(path.dirname(path.join(root, file)), { recursive: true });
      writeFileSync(path.join(root, file), content);
    }
    return root;
  };
  const manifestOf = (root: string): string => execFileSync("sh", ["-c", `set -eu\n${manifestFunction(root)}\nmanifest`], { encoding: "utf8", env: { ...process.env, TMPDIR: dir } });

  const files = { "acme_db-data/ibdata1": "pages", "acme_db-data/shop/t.ibd": "row 42", "acme_files/a b.txt": "hello" };

  it("gives the same manifest for the same files, whatever the order they were written in", () => {
    const a = parseManifest(manifestOf(tree("old", files)));
    const reversed = Object.fromEntries(Object.entries(files).reverse());
    const b = parseManifest(manifestOf(tree("new", reversed)));
    expect(a).toEqual({ files: 3, sha256: expect.stringMatching(/^[0-9a-f]{64}$/) });
    expect(manifestMismatch(a, b)).toBeNull();
  });

  it("tells a changed byte, a missing file and a renamed file apart from a true copy", () => {
    const old = parseManifest(manifestOf(tree("old", files)));
    const changed = parseManifest(manifestOf(tree("changed", { ...files, "acme_db-data/shop/t.ibd": "row 43" })));
    expect(manifestMismatch(old, changed)).toMatch(/^the 3 file\(s\) differ between the old and the new node/);
    const { "acme_files/a b.txt": _gone, ...fewer } = files;
    expect(manifestMismatch(old, parseManifest(manifestOf(tree("fewer", fewer))))).toBe("the old node has 3 file(s), the new node 2");
    const renamed = parseManifest(manifestOf(tree("renamed", { ...fewer, "acme_files/a_b.txt": "hello" })));
    expect(manifestMismatch(old, renamed)).toMatch(/differ/);
  });

  it("tells a symbolic link's target, a mode and an empty directory apart from a true copy", () => {
    const withLink = (name: string, target: string, mode = 0o644): string => {
      const root = tree(name, files);
      symlinkSync(target, path.join(root, "acme_files", "current"));
      chmodSync(path.join(root, "acme_files", "a b.txt"), mode);
      return root;
    };
    const old = parseManifest(manifestOf(withLink("old", "a b.txt")));
    expect(manifestMismatch(old, parseManifest(manifestOf(withLink("same", "a b.txt"))))).toBeNull();
    // What rsync's "munge symlinks" makes of a link: the bytes of every file equal, the link dangling.
    expect(manifestMismatch(old, parseManifest(manifestOf(withLink("munged", "/rsyncd-munged/a b.txt"))))).toMatch(/differ/);
    expect(manifestMismatch(old, parseManifest(manifestOf(withLink("mode", "a b.txt", 0o600))))).toMatch(/differ/);
    const emptyDir = withLink("dir", "a b.txt");
    mkdirSync(path.join(emptyDir, "acme_files", "uploads"));
    expect(manifestMismatch(old, parseManifest(manifestOf(emptyDir)))).toMatch(/differ/);
  });

  it("has the rsync daemon keep links as they are, inside its module", () => {
    expect(receiverScript()).toContain("use chroot = yes\nmunge symlinks = no\n");
  });

  it("fails the verification when a job printed no manifest (it stopped before)", () => {
    const ok = parseManifest(`${MANIFEST_MARKER} files=1 sha256=${"a".repeat(64)}\n`);
    expect(parseManifest("rsync error: connection refused\n")).toBeNull();
    expect(manifestMismatch(null, ok)).toBe("the sending job printed no manifest of its files");
    expect(manifestMismatch(ok, null)).toBe("the receiving job printed no manifest of its files");
  });

  it("reads the last manifest line among the rsync output", () => {
    const out = `sent 1,234 bytes\n${MANIFEST_MARKER} files=2 sha256=${"b".repeat(64)}\ntotal size is 10\n`;
    expect(parseManifest(out)).toEqual({ files: 2, sha256: "b".repeat(64) });
  });

  it("has scripts that are valid POSIX sh", () => {
    for (const script of [receiverScript(), senderScript()]) expect(() => execFileSync("sh", ["-n", "-c", script])).not.toThrow();
  });
});
