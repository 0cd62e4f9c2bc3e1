import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync } from "node:crypto";
import { StateStore } from "./store";

/**
 * The HTTPS files of the state directory (docs/tls.md), beside the others of state/store.ts:
 *
 *   <dir>/<instance>/tls/account.key     the ACME account's private key (P-256, PKCS#8 PEM)
 *   <dir>/<instance>/tls/<site>.pem      the site's certificate: private key, then the chain
 *   <dir>/<instance>/tls/<site>.json     what was ordered and when to renew or retry (CertRecord)
 *
 * The certificates are also Swarm secrets (tls/render.ts), which cannot be read back: this
 * copy is what renders them again, so a lost secret is put back, never ordered again.
 */
export const ACCOUNT_KEY = "tls/account.key";

/** What the controller remembers of a site's certificate and its last orders. Plain JSON. */
export interface CertRecord {
  /** The names the stored certificate covers, sorted. */
  readonly domains: readonly string[];
  readonly notBefore: string;
  readonly notAfter: string;
  /** When to order the next one (two thirds of the lifetime, minus jitter): fixed at issuance. */
  readonly renewAt: string;
  /** Domains whose validation failed, each retried alone after its own backoff. */
  readonly failing: Readonly<Record<string, DomainFailure>>;
  /** No order for this site before this time (Retry-After, rate limits, failed orders). */
  readonly nextAttemptAt?: string;
  /** Failed orders in a row (the backoff's exponent); cleared by an issued certificate. */
  readonly orderFailures?: number;
  readonly lastError?: string;
}

export interface DomainFailure {
  readonly attempts: number;
  readonly nextAttemptAt: string;
  readonly error: string;
}

export const EMPTY_RECORD: CertRecord = { domains: [], notBefore: "", notAfter: "", renewAt: "", failing: {} };

/** The account key, made once (concurrent makers: the first file wins, state/store.ts createOnce). */
export function accountKey(store: StateStore): Buffer {
  const existing = store.read(ACCOUNT_KEY);
  if (existing !== undefined) return existing;
  const { privateKey } = generateKeyPairSync("ec", { namedCurve: "P-256" });
  return store.createOnce(ACCOUNT_KEY, privateKey.export({ format: "pem", type: "pkcs8" }).toString());
}

/** The account key's RFC 7638 thumbprint (base64url SHA-256 of its canonical JWK), or undefined when no account exists yet. */
export function readAcmeThumbprint(stateDir: string, instance: string): string | undefined {
  const key = new StateStore(stateDir, instance, "read-only").read(ACCOUNT_KEY);
  return key === undefined ? undefined : jwkThumbprint(key);
}

export function jwkThumbprint(privateKeyPem: Buffer | string): string {
  const jwk = createPublicKey(createPrivateKey(privateKeyPem)).export({ format: "jwk" });
  // RFC 7638: the required members only, in lexicographic order, no whitespace.
  const canonical = jwk.kty === "EC" ? { crv: jwk.crv, kty: jwk.kty, x: jwk.x, y: jwk.y } : { e: jwk.e, kty: jwk.kty, n: jwk.n };
  return createHash("sha256").update(JSON.stringify(canonical)).digest("base64url");
}

export function readCertPem(store: StateStore, site: string): Buffer | undefined {
  return store.read(`tls/${site}.pem`);
}

export function readCertRecord(store: StateStore, site: string): CertRecord {
  const raw = store.read(`tls/${site}.json`);
  if (raw === undefined) return EMPTY_RECORD;
  return { ...EMPTY_RECORD, ...(JSON.parse(raw.toString("utf8")) as Partial<CertRecord>) };
}

export function writeCertRecord(store: StateStore, site: string, record: CertRecord): void {
  store.replace(`tls/${site}.json`, `${JSON.stringify(record, null, 2)}\n`);
}

/** The certificate first, then its record: a record never describes a certificate that is not there. */
export function writeCert(store: StateStore, site: string, pem: string, record: CertRecord): void {
  store.replace(`tls/${site}.pem`, pem);
  writeCertRecord(store, site, record);
}
