import { execFile } from "node:child_process";
import { chmod, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";

const run = promisify(execFile);
const VARNISHD = process.env.VARNISHD ?? "/usr/sbin/varnishd";

export type CompileResult = { ok: boolean; stderr: string };

/**
 * Varnish's own compiler (`varnishd -C`) for the calling test file: a work directory made in
 * beforeAll and removed in afterAll, and `compile(name, vcl)` that never throws.
 */
export function vclCompiler(prefix: string): (name: string, vcl: string) => Promise<CompileResult> {
  let dir = "";
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), prefix));
    // varnishd drops privileges to compile; the work directory must be reachable for it.
    await chmod(dir, 0o755);
  });
  afterAll(async () => {
    if (dir !== "") await rm(dir, { recursive: true, force: true });
  });
  return async (name, vcl) => {
    const file = join(dir, `${name}.vcl`);
    await writeFile(file, vcl);
    try {
      await run(VARNISHD, ["-C", "-f", file, "-n", join(dir, `work-${name}`)], { maxBuffer: 64 * 1024 * 1024 });
      return { ok: true, stderr: "" };
    } catch (e) {
      return { ok: false, stderr: ((e as { stderr?: string }).stderr ?? String(e)).slice(0, 4000) };
    }
  };
}
