import { readFileSync } from "node:fs";
import { Agent } from "node:https";
import * as acme from "acme-client";

/**
 * The ACME edge (RFC 8555) through acme-client: one order for a site's names, validated by
 * HTTP-01, which Varnish answers from the account's thumbprint (varnish/vcl-tls.ts), so
 * nothing is handed over per challenge. Only the controller holding the instance lock calls
 * it (tls/renew.ts).
 */
export interface AcmeDirectory {
  readonly directory: string;
  readonly email: string;
  /** PEM of the CA that signs the directory's own HTTPS certificate (a private or test CA). */
  readonly caFile?: string;
}

export type OrderOutcome =
  | { readonly ok: true; readonly pem: string }
  /** Some names did not validate: the order is dead; the others are ordered again without them. */
  | { readonly ok: false; readonly failedDomains: ReadonlyMap<string, string> }
  /** The order itself failed (rate limit, CA down, account): retried after a backoff or the CA's Retry-After. */
  | { readonly ok: false; readonly error: string; readonly retryAfter?: string };

const clients = new Map<string, acme.Client>();

export async function orderCertificate(dir: AcmeDirectory, accountKey: Buffer, domains: readonly string[]): Promise<OrderOutcome> {
  configureHttp(dir);
  try {
    const client = await account(dir, accountKey);
    const order = await client.createOrder({ identifiers: domains.map((value) => ({ type: "dns", value })) });
    const failed = new Map<string, string>();
    for (const authz of await client.getAuthorizations(order)) {
      if (authz.status === "valid") continue;
      const domain = authz.identifier.value;
      const challenge = authz.challenges.find((c) => c.type === "http-01");
      if (challenge === undefined) {
        failed.set(domain, "the CA offers no http-01 challenge for this name");
        continue;
      }
      try {
        await client.completeChallenge(challenge);
        await client.waitForValidStatus(challenge);
      } catch (err) {
        failed.set(domain, errorText(err));
      }
    }
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

/** One registered account per directory and key for the life of the process. */
async function account(dir: AcmeDirectory, accountKey: Buffer): Promise<acme.Client> {
  const id = `${dir.directory}\0${accountKey.toString("base64")}`;
  const known = clients.get(id);
  if (known !== undefined) return known;
  // No long in-library backoff: a reconcile must not sleep minutes; the controller backs off between passes.
  const client = new acme.Client({ directoryUrl: dir.directory, accountKey, backoffAttempts: 12, backoffMin: 1000, backoffMax: 5000 });
  await client.createAccount({ termsOfServiceAgreed: true, contact: [`mailto:${dir.email}`] });
  clients.set(id, client);
  return client;
}

function configureHttp(dir: AcmeDirectory): void {
  const settings = acme.axios.defaults as { acmeSettings?: { retryMaxAttempts: number }; httpsAgent?: Agent };
  // A 429 or 503 is recorded with its Retry-After and tried again on a later pass, not waited for here.
  if (settings.acmeSettings) settings.acmeSettings.retryMaxAttempts = 0;
  settings.httpsAgent = dir.caFile !== undefined ? new Agent({ ca: readFileSync(dir.caFile) }) : undefined;
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
