import { chmodSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { privateCacheDir } from "../../../controller/cli/compile-cache-dir";

/**
 * Node runs whatever compiled code a compile cache entry holds (it checks the entry against the
 * source's hash, which its writer sets): the CLI's cache must be a directory no other user can
 * write to, never node's default `$TMPDIR/node-compile-cache` shared by every user.
 */
const uid = process.getuid?.() ?? 0;
let root: string;
beforeEach(() => (root = mkdtempSync(path.join(os.tmpdir(), "simulium-cc-test-"))));
afterEach(() => rmSync(root, { recursive: true, force: true }));

/**
 * Loads cli/compile-cache.ts as the CLI does, with the OS's temporary directory and
 * NODE_COMPILE_CACHE given: the directory it enabled the cache in (undefined: node's default), or
 * null when it did not enable it.
 */
function enabledBy(env: { tmpdir: string; NODE_COMPILE_CACHE?: string; NODE_DISABLE_COMPILE_CACHE?: string }): string | null | undefined {
  const saved = process.env.NODE_COMPILE_CACHE;
  const savedDisable = process.env.NODE_DISABLE_COMPILE_CACHE;
  const calls: (string | undefined)[] = [];
  try {
    if (env.NODE_COMPILE_CACHE === undefined) delete process.env.NODE_COMPILE_CACHE;
    else process.env.NODE_COMPILE_CACHE = env.NODE_COMPILE_CACHE;
    if (env.NODE_DISABLE_COMPILE_CACHE === undefined) delete process.env.NODE_DISABLE_COMPILE_CACHE;
    else process.env.NODE_DISABLE_COMPILE_CACHE = env.NODE_DISABLE_COMPILE_CACHE;
    jest.isolateModules(() => {
      jest.doMock("node:module", () => ({ ...jest.requireActual<object>("node:module"), enableCompileCache: (dir?: string) => calls.push(dir) }));
      jest.doMock("node:os", () => ({ ...jest.requireActual<object>("node:os"), tmpdir: () => env.tmpdir }));
      require("../../../controller/cli/compile-cache");
    });
  } finally {
    jest.dontMock("node:module");
    jest.dontMock("node:os");
    if (saved === undefined) delete process.env.NODE_COMPILE_CACHE;
    else process.env.NODE_COMPILE_CACHE = saved;
    if (savedDisable === undefined) delete process.env.NODE_DISABLE_COMPILE_CACHE;
    else process.env.NODE_DISABLE_COMPILE_CACHE = savedDisable;
  }
  expect(calls.length).toBeLessThanOrEqual(1);
  return calls.length === 0 ? null : calls[0];
}

describe("the CLI's compile cache", () => {
  it("is never node's shared default: another user's world-writable node-compile-cache is not used", () => {
    const shared = path.join(root, "node-compile-cache");
    mkdirSync(shared);
    chmodSync(shared, 0o777);
    const dir = enabledBy({ tmpdir: root });
    // undefined would be node's default, the shared directory above.
    expect(dir).toBe(path.join(root, `simulium-compile-cache-${uid}`));
    expect(dir).not.toBe(shared);
    const st = lstatSync(dir as string);
    expect(st.uid).toBe(uid);
    expect(st.mode & 0o777).toBe(0o700);
  });

  it("uses the same private directory on the next run", () => {
    const first = enabledBy({ tmpdir: root });
    writeFileSync(path.join(first as string, "entry"), "x");
    expect(enabledBy({ tmpdir: root })).toBe(first);
  });

  it("is skipped, without an error, when its directory was made by someone else or is writable by others", () => {
    const dir = path.join(root, `simulium-compile-cache-${uid}`);
    mkdirSync(dir);
    chmodSync(dir, 0o777);
    expect(enabledBy({ tmpdir: root })).toBeNull();
    chmodSync(dir, 0o700);
    expect(privateCacheDir(root, uid)).toBe(dir);
    // The same directory, for another user: not theirs.
    expect(privateCacheDir(root, uid + 1)).toBeUndefined();
  });

  it("is skipped when its name is a symbolic link, even to a private directory", () => {
    const real = path.join(root, "real");
    mkdirSync(real, { mode: 0o700 });
    symlinkSync(real, path.join(root, `simulium-compile-cache-${uid}`));
    expect(enabledBy({ tmpdir: root })).toBeNull();
  });

  it("is skipped when the temporary directory cannot hold it (not a directory, or missing)", () => {
    const file = path.join(root, "file");
    writeFileSync(file, "");
    expect(enabledBy({ tmpdir: file })).toBeNull();
    expect(enabledBy({ tmpdir: path.join(root, "missing", "deeper") })).toBeNull();
    expect(privateCacheDir(root, undefined)).toBeUndefined();
  });

  it("is off, its directory not even made, with NODE_DISABLE_COMPILE_CACHE=1", () => {
    expect(enabledBy({ tmpdir: root, NODE_DISABLE_COMPILE_CACHE: "1" })).toBeNull();
    expect(readdirSync(root)).toEqual([]);
  });

  it("follows NODE_COMPILE_CACHE, the operator's choice", () => {
    const chosen = path.join(root, "chosen");
    expect(enabledBy({ tmpdir: root, NODE_COMPILE_CACHE: chosen })).toBe(chosen);
  });
});
