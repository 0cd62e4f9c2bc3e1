import { createHash, createHmac, timingSafeEqual } from "node:crypto";

/**
 * Verification of incoming push webhooks. Pure: raw body + headers + shared secret in,
 * verdict out. Anything unsigned or wrongly signed is rejected; nothing is parsed before
 * the signature holds.
 */
export type WebhookProvider = "github" | "gitea" | "forgejo" | "gitlab";

export type WebhookHeaders = Readonly<Record<string, string | readonly string[] | undefined>>;

export type WebhookVerdict =
  | { readonly ok: true; readonly provider: WebhookProvider; readonly event?: string }
  | { readonly ok: false; readonly reason: "unsigned" | "bad-signature" | "malformed-signature" };

export function verifyWebhook(headers: WebhookHeaders, body: Buffer, secret: string): WebhookVerdict {
  if (secret.length === 0) throw new Error("webhook secret is empty");
  const h = (name: string): string | undefined => header(headers, name);
  const event = h("x-github-event") ?? h("x-forgejo-event") ?? h("x-gitea-event") ?? h("x-gitlab-event");
  const withEvent = (provider: WebhookProvider): WebhookVerdict => (event === undefined ? { ok: true, provider } : { ok: true, provider, event });

  // The strongest header present decides: a wrong sha256 signature is never rescued by another header.
  const hub = h("x-hub-signature-256");
  if (hub !== undefined) {
    const m = /^sha256=([0-9a-f]{64})$/i.exec(hub.trim());
    if (!m?.[1]) return { ok: false, reason: "malformed-signature" };
    return hmacMatches(m[1], body, secret) ? withEvent(hmacProvider(headers)) : { ok: false, reason: "bad-signature" };
  }
  const bare = h("x-forgejo-signature") ?? h("x-gitea-signature");
  if (bare !== undefined) {
    if (!/^[0-9a-f]{64}$/i.test(bare.trim())) return { ok: false, reason: "malformed-signature" };
    return hmacMatches(bare.trim(), body, secret) ? withEvent(hmacProvider(headers)) : { ok: false, reason: "bad-signature" };
  }
  const token = h("x-gitlab-token");
  if (token !== undefined) {
    return safeEqual(Buffer.from(token, "utf8"), Buffer.from(secret, "utf8")) ? withEvent("gitlab") : { ok: false, reason: "bad-signature" };
  }
  return { ok: false, reason: "unsigned" };
}

/** `sha256=<hex>` as GitHub, Gitea and Forgejo send it; also used to sign our own notifications. */
export function signatureHeader(body: Buffer | string, secret: string): string {
  return `sha256=${createHmac("sha256", secret).update(body).digest("hex")}`;
}

function hmacMatches(hex: string, body: Buffer, secret: string): boolean {
  const expected = createHmac("sha256", secret).update(body).digest();
  const given = Buffer.from(hex, "hex");
  return given.length === expected.length && timingSafeEqual(given, expected);
}

/**
 * Constant time for values of any length: both sides are hashed first, so neither the
 * content nor the length of the secret leaks through timing.
 */
function safeEqual(a: Buffer, b: Buffer): boolean {
  const ha = createHash("sha256").update(a).digest();
  const hb = createHash("sha256").update(b).digest();
  return timingSafeEqual(ha, hb) && a.length === b.length;
}

function hmacProvider(headers: WebhookHeaders): WebhookProvider {
  if (header(headers, "x-forgejo-event") !== undefined || header(headers, "x-forgejo-signature") !== undefined) return "forgejo";
  if (header(headers, "x-gitea-event") !== undefined || header(headers, "x-gitea-signature") !== undefined) return "gitea";
  return "github";
}

/** Node lower-cases header names; a repeated header is ambiguous and treated as its first value. */
function header(headers: WebhookHeaders, name: string): string | undefined {
  const key = Object.keys(headers).find((k) => k.toLowerCase() === name);
  const v = key === undefined ? undefined : headers[key];
  if (v === undefined) return undefined;
  return typeof v === "string" ? v : v[0];
}
