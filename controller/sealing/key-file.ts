import { readFile } from "node:fs/promises";
import { recipientOf, unseal, UnsealError } from "./age";
import type { Decrypt } from "./unseal-sites";

/** Where the controller's private key comes from: --sealing-key-file, else this variable. */
export const SEALING_KEY_ENV = "SIMULIUM_SEALING_KEY_FILE";

export function resolveSealingKeyFile(flag: string | undefined): string | undefined {
  return flag ?? (process.env[SEALING_KEY_ENV] || undefined);
}

/**
 * The decrypter for a key file (an age identity file, as `age-keygen` or `simulium seal
 * --keygen` write it), read once on first use: commands that meet no sealed value never
 * touch the key. Without a key file, or with one that cannot be used, every sealed value
 * fails with the reason, so only the sites that hold one are left as they run.
 */
export function keyFileDecrypter(file: string | undefined): Decrypt {
  let identity: Promise<string> | undefined;
  return async (ciphertext) => {
    if (file === undefined) {
      throw new UnsealError(`this controller has no sealing key: pass --sealing-key-file or set ${SEALING_KEY_ENV}`);
    }
    identity ??= readIdentity(file);
    return unseal(ciphertext, await identity);
  };
}

/** The identity in an age identity file: the first line that is not blank or a `#` comment. */
export async function readIdentity(file: string): Promise<string> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? "unreadable";
    throw new UnsealError(`the sealing key file ${file} cannot be read (${code})`);
  }
  const line = text.split("\n").map((l) => l.trim()).find((l) => l !== "" && !l.startsWith("#"));
  if (line === undefined) throw new UnsealError(`the sealing key file ${file} holds no age identity`);
  try {
    await recipientOf(line);
  } catch {
    throw new UnsealError(`the sealing key file ${file} holds no valid age identity (AGE-SECRET-KEY-1…)`);
  }
  return line;
}
