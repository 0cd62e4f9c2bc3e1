import { readFileSync } from "node:fs";
import { Agent } from "node:https";
import { setTimeout as sleep } from "node:timers/promises";
import type * as Acme from "acme-client";
import { DnsHook, runDnsHook } from "./dns01";
import { Challenge, challengeOf } from "./names";

/**
 * Loaded on the first order, not at start: acme-client and its x509, forge and axios
 * dependencies were ~0.2 s of CPU in every `simulium` process, which orders no certificate.
 */
const loadAcme = (): Promise<typeof Acme> => import("acme-client");

/**
 * The ACME edge (RFC 8555) through acme-client: one order for a site's names, validated by
 * HTTP-01, which Varnish answers from the account's thumbprint (varnish/vcl-tls.ts), so
 * nothing is handed over per challenge, or by DNS-01 through the operator's hook (dns01.ts).
 * Only the controller holding the instance lock calls it (tls/renew.ts).
 */
export interface AcmeDirectory {
  readonly directory: string;
  readonly email: string;
  /** PEM of the CA that signs the directory's own HTTPS certificate (a private or test CA). */
  readonly caFile?: string;
  /** External account binding (ZeroSSL, Google): from the controller's flags, never the manifests. */
  readonly eab?: ExternalAccount;
}

/** An external account binding: the CA's key id, and the file holding its HMAC key (base64url), read only when the account is registered. */
export interface ExternalAccount {
  readonly kid: string;
  readonly hmacKeyFile: string;
}

/** How the names of one order are validated. */
export interface OrderOptions {
  /** The site's challenge for names that are not wildcards (a wildcard is always DNS-01). */
  readonly challenge?: Challenge;
  /** Needed when any name is validated by DNS-01. */
  readonly dnsHook?: DnsHook;
  /** A cleanup that failed (the record stays behind; the order is not affected). */
  readonly onCleanupError?: (domain: string, error: string) => void;
}

export class ExternalAccountKeyError extends Error {
  constructor(file: string, reason: string) {
    super(`cannot read the external account binding's HMAC key from ${file}: ${reason}`);
  }
}

export type OrderOutcome =
  | { readonly ok: true; readonly pem: string }
  /** Some names did not validate: the order is dead; the others are ordered again without them. */
  | { readonly ok: false; readonly failedDomains: ReadonlyMap<string, string> }
  /** The order itself failed (rate limit, CA down, account): retried after a backoff or the CA's Retry-After. */
  | { readonly ok: false; readonly error: string; readonly retryAfter?: string };

const clients = new Map<string, Acme.Client>();

export async function orderCertificate(dir: AcmeDirectory, accountKey: Buffer, domains: readonly string[], opts: OrderOptions = {}): Promise<OrderOutcome> {
  const acme = await loadAcme();
  try {
    // In the try: an unreadable caFile fails this order (recorded, retried after its backoff)
    // instead of throwing out of the reconcile and failing every site's apply.
    configureHttp(acme, dir);
    const client = await account(acme, dir, accountKey);
    const order = await client.createOrder({ identifiers: domains.map((value) => ({ type: "dns", value })) });
    const failed = await validate(client, await client.getAuthorizations(order), opts);
    if (failed.size > 0) return { ok: false, failedDomains: failed };
    const key = await acme.crypto.createPrivateEcdsaKey("P-256");
    const [, csr] = await acme.crypto.createCsr({ commonName: domains[0], altNames: [...domains] }, key);
    const finalized = await client.finalizeOrder(order, csr);
    const chain = await client.getCertificate(finalized);
    return { ok: true, pem: `${key.toString().trim()}\n${chain.trim()}\n` };
  } catch (err) {
    const retryAfter = retryAfterOf(err);
    return { ok: false, error: errorText(err), ...(retryAfter !== undefined ? { retryAfter } : {}) };
  }
}

/**
 * Answers every pending authorization; the names that did not validate, by the name ordered
 * (`*.example.org` for a wildcard). DNS-01 records are all published first and waited for
 * once, then every challenge is answered; the records are removed whatever happened.
 */
async function validate(client: Acme.Client, authorizations: readonly Acme.Authorization[], opts: OrderOptions): Promise<Map<string, string>> {
  const failed = new Map<string, string>();
  const answer: { name: string; challenge: Acme.Authorization["challenges"][number] }[] = [];
  const published: { domain: string; value: string }[] = [];
  const hook = opts.dnsHook;
  try {
    for (const authz of authorizations) {
      if (authz.status === "valid") continue;
      const domain = authz.identifier.value;
      const name = authz.wildcard === true ? `*.${domain}` : domain;
      const type = challengeOf(name, opts.challenge ?? "http-01");
      const challenge = authz.challenges.find((c) => c.type === type);
      if (challenge === undefined) {
        failed.set(name, `the CA offers no ${type} challenge for this name`);
        continue;
      }
      if (type === "dns-01") {
        if (hook === undefined) {
          failed.set(name, "DNS-01 needs the controller's DNS hook (--acme-dns-hook)");
          continue;
        }
        const value = await client.getChallengeKeyAuthorization(challenge);
        try {
          await runDnsHook(hook, "present", domain, value);
          published.push({ domain, value });
        } catch (err) {
          failed.set(name, errorText(err));
          continue;
        }
      }
      answer.push({ name, challenge });
    }
    // A name already failed kills the order: no point making the CA look at the others.
    if (failed.size > 0) return failed;
    if (published.length > 0 && hook !== undefined && hook.propagationSeconds > 0) await sleep(hook.propagationSeconds * 1000);
    for (const { name, challenge } of answer) {
      try {
        await client.completeChallenge(challenge);
        await client.waitForValidStatus(challenge);
      } catch (err) {
        failed.set(name, errorText(err));
      }
    }
    return failed;
  } finally {
    for (const p of published) {
      if (hook === undefined) break;
      await runDnsHook(hook, "cleanup", p.domain, p.value).catch((err: unknown) => opts.onCleanupError?.(p.domain, errorText(err)));
    }
  }
}

/** One registered account per directory, key and external account for the life of the process. */
async function account(acme: typeof Acme, dir: AcmeDirectory, accountKey: Buffer): Promise<Acme.Client> {
  const id = `${dir.directory}\0${accountKey.toString("base64")}\0${dir.eab?.kid ?? ""}`;
  const known = clients.get(id);
  if (known !== undefined) return known;
  // No long in-library backoff: a reconcile must not sleep minutes; the controller backs off between passes.
  const client = new acme.Client({
    directoryUrl: dir.directory,
    accountKey,
    backoffAttempts: 12,
    backoffMin: 1000,
    backoffMax: 5000,
    ...(dir.eab !== undefined ? { externalAccountBinding: { kid: dir.eab.kid, hmacKey: readHmacKey(dir.eab.hmacKeyFile) } } : {}),
  });
  await client.createAccount({ termsOfServiceAgreed: true, contact: [`mailto:${dir.email}`] });
  clients.set(id, client);
  return client;
}

/** The HMAC key, trimmed; the error names the file, never a byte of its content. */
function readHmacKey(file: string): string {
  let key: string;
  try {
    key = readFileSync(file, "utf8").trim();
  } catch (err) {
    throw new ExternalAccountKeyError(file, (err as NodeJS.ErrnoException).code ?? "unreadable");
  }
  if (!/^[A-Za-z0-9_=+/-]{16,}$/.test(key)) throw new ExternalAccountKeyError(file, "it is not a base64url key as the CA gives it (one line, at least 16 characters)");
  return key;
}

function configureHttp(acme: typeof Acme, dir: AcmeDirectory): void {
  const settings = acme.axios.defaults as { acmeSettings?: { retryMaxAttempts: number }; httpsAgent?: Agent };
  // A 429 or 503 is recorded with its Retry-After and tried again on a later pass, not waited for here.
  if (settings.acmeSettings) settings.acmeSettings.retryMaxAttempts = 0;
  settings.httpsAgent = dir.caFile !== undefined ? new Agent({ ca: readCaFile(dir.caFile) }) : undefined;
}

/** The error names the setting and the file, not only errno's text. */
class CaFileError extends Error {
  constructor(file: string, code: string) {
    super(`acme.caFile ${file} cannot be read (${code})`);
    this.name = "CaFileError";
  }
}

function readCaFile(file: string): Buffer {
  try {
    return readFileSync(file);
  } catch (err) {
    throw new CaFileError(file, (err as NodeJS.ErrnoException).code ?? "unreadable");
  }
}

function retryAfterOf(err: unknown): string | undefined {
  const headers = (err as { response?: { headers?: Record<string, unknown> } }).response?.headers;
  const value = headers?.["retry-after"];
  return typeof value === "string" ? value : undefined;
}

function errorText(err: unknown): string {
  const data = (err as { response?: { data?: { detail?: unknown } } }).response?.data;
  if (data !== undefined && typeof data.detail === "string") return data.detail;
  return err instanceof Error ? err.message : String(err);
}
