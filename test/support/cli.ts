import { buildProgram } from "../../controller/cli/main";

/** Runs the real CLI in-process, capturing stdout and the exit code it sets. */
export async function cli(...args: string[]): Promise<{ code: number; out: string }> {
  const chunks: string[] = [];
  const write = jest.spyOn(process.stdout, "write").mockImplementation((c: string | Uint8Array) => {
    chunks.push(String(c));
    return true;
  });
  process.exitCode = 0;
  try {
    await buildProgram().exitOverride().parseAsync(["node", "simulium", "--log-level", "silent", ...args]);
  } finally {
    write.mockRestore();
  }
  const code = Number(process.exitCode ?? 0);
  process.exitCode = 0;
  return { code, out: chunks.join("") };
}
