import { randomInt } from "node:crypto";
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";

const ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

/**
 * A random secret from a CSPRNG. Alphanumeric only, so the value survives every consumer
 * (shell variables, DSNs, config files) without quoting.
 */
export function generateSecret(length: number): string {
  let out = "";
  for (let i = 0; i < length; i++) out += ALPHABET[randomInt(ALPHABET.length)];
  return out;
}

/**
 * A secret the controller must be able to read again (Swarm secrets cannot be read back):
 * made once into `file` (CSPRNG, mode 0600, folder 0700) and never replaced, not even by a
 * second process racing this one. Returns its exact bytes.
 */
export function ensureSecretFile(file: string, length: number): Buffer {
  mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  try {
    // "wx": never overwrite a value another process (or an operator) just wrote.
    writeFileSync(file, generateSecret(length), { flag: "wx", mode: 0o600 });
    chmodSync(file, 0o600);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
  }
  return readFileSync(file);
}
