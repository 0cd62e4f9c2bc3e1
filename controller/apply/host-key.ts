import { generateKeyPairSync } from "node:crypto";

/**
 * A new SSH host private key: ECDSA P-256 as a PEM "EC PRIVATE KEY", which OpenSSH's sshd
 * loads as a host key (Node cannot write Ed25519 in OpenSSH's own format, and sshd does not
 * read Ed25519 as PKCS#8). Made once, at apply time, into an immutable Swarm secret.
 */
export function generateHostKey(): string {
  const { privateKey } = generateKeyPairSync("ec", {
    namedCurve: "prime256v1",
    privateKeyEncoding: { type: "sec1", format: "pem" },
    publicKeyEncoding: { type: "spki", format: "pem" },
  });
  return privateKey;
}
