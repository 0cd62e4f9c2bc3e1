import { readFile } from "node:fs/promises";

/** A secret file that cannot be used: the message names the file, never its content. */
export class SecretFileError extends Error {
  readonly kind = "secret-file" as const;
  constructor(
    readonly file: string,
    detail: string,
  ) {
    super(`secret file ${file}: ${detail}`);
    this.name = "SecretFileError";
  }
}

/** Reads a secret kept in a file (a webhook secret, an API token). Trailing newlines are not part of it. */
export async function readSecretFile(file: string): Promise<string> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? "unreadable";
    throw new SecretFileError(file, `cannot be read (${code})`);
  }
  const secret = text.replace(/[\r\n]+$/, "");
  if (secret.trim() === "") throw new SecretFileError(file, "is empty");
  return secret;
}
