import { createPrivateKey, X509Certificate } from "node:crypto";

/** A certificate bundle the TLS terminator must never be given: refused before any rollout. */
export class BadPemError extends Error {
  constructor(
    readonly site: string,
    problem: string,
  ) {
    super(`certificate of site ${site}: ${problem}`);
    this.name = "BadPemError";
  }
}

export interface CertInfo {
  readonly notBefore: Date;
  readonly notAfter: Date;
  /** DNS names of the leaf's subjectAltName, sorted. */
  readonly names: readonly string[];
}

const BLOCK = /-----BEGIN ([A-Z ]+)-----[\s\S]+?-----END \1-----/g;

/**
 * Checks a key + chain bundle as hitch reads it (one private key, then the leaf, then the
 * intermediates) and returns the leaf's validity and names. Throws BadPemError: no key, no
 * certificate, a key that does not match the leaf, or a leaf already expired at `now`.
 */
export function checkBundle(site: string, pem: string, now: Date): CertInfo {
  const blocks = [...pem.matchAll(BLOCK)].map((m) => ({ type: m[1] ?? "", text: m[0] }));
  const keys = blocks.filter((b) => b.type.endsWith("PRIVATE KEY"));
  const certs = blocks.filter((b) => b.type === "CERTIFICATE");
  if (keys.length !== 1) throw new BadPemError(site, `expected one private key, found ${keys.length}`);
  if (certs.length === 0) throw new BadPemError(site, "no certificate");
  let leaf: X509Certificate;
  try {
    leaf = new X509Certificate(certs[0]?.text ?? "");
    for (const c of certs.slice(1)) new X509Certificate(c.text);
  } catch (err) {
    throw new BadPemError(site, `a certificate does not parse: ${(err as Error).message}`);
  }
  let key;
  try {
    key = createPrivateKey(keys[0]?.text ?? "");
  } catch {
    // The key's text never goes into a message.
    throw new BadPemError(site, "the private key does not parse");
  }
  if (!leaf.checkPrivateKey(key)) throw new BadPemError(site, "the private key does not belong to the certificate");
  const notAfter = new Date(leaf.validTo);
  if (notAfter.getTime() <= now.getTime()) throw new BadPemError(site, `the certificate expired on ${notAfter.toISOString()}`);
  const names = (leaf.subjectAltName ?? "")
    .split(/,\s*/)
    .filter((n) => n.startsWith("DNS:"))
    .map((n) => n.slice(4))
    .sort();
  return { notBefore: new Date(leaf.validFrom), notAfter, names };
}
