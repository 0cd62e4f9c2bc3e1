import type * as Age from "age-encryption";

/**
 * The age format (age-encryption.org/v1) through typage, the reference TypeScript
 * implementation. Ciphertexts travel as base64 of the binary message: one line that fits a
 * YAML flow entry and survives copy and paste, where the armored form spans lines.
 *
 * age-encryption ships only as an ES module; Node 20.19+ loads it from this CommonJS code
 * (require of ES modules), and jest transpiles it (jest.config.js). Loaded on first use, not
 * at start: most `simulium` processes never seal or unseal, and loading it cost each ~0.06 s.
 */
const loadAge = (): Promise<typeof Age> => import("age-encryption");

/** A value that does not decrypt with the key given. The message never holds the value. */
export class UnsealError extends Error {}

export async function seal(plaintext: Buffer, recipient: string): Promise<string> {
  const e = new (await loadAge()).Encrypter();
  e.addRecipient(recipient);
  return Buffer.from(await e.encrypt(new Uint8Array(plaintext))).toString("base64");
}

/** Decrypts with an identity (`AGE-SECRET-KEY-1…`). Throws UnsealError. */
export async function unseal(ciphertext: string, identity: string): Promise<Buffer> {
  const d = new (await loadAge()).Decrypter();
  d.addIdentity(identity);
  try {
    return Buffer.from(await d.decrypt(Buffer.from(ciphertext, "base64")));
  } catch (err) {
    // typage's messages describe the format or the key ("no identity matched any of the
    // file's recipients"), never the content.
    throw new UnsealError(err instanceof Error ? err.message : String(err));
  }
}

export interface KeyPair {
  readonly identity: string;
  readonly recipient: string;
}

export async function generateKeyPair(): Promise<KeyPair> {
  const age = await loadAge();
  const identity = await age.generateX25519Identity();
  return { identity, recipient: await age.identityToRecipient(identity) };
}

/** The recipient of an identity; throws UnsealError when the identity is malformed. */
export async function recipientOf(identity: string): Promise<string> {
  const age = await loadAge();
  try {
    return await age.identityToRecipient(identity);
  } catch {
    // The parser's message may quote the input, which is key material.
    throw new UnsealError("not an age identity (a line starting AGE-SECRET-KEY-1)");
  }
}
