/**
 * The VCL of HTTPS (docs/tls.md): ACME HTTP-01 answers, the http→https redirect and HSTS. Kept
 * apart from vcl.ts (which only calls these functions) so the three blocks can move with the
 * per-site VCL. Every string here comes from validated input: domains are host names, the
 * thumbprint is base64url.
 */

/** What the VCL needs to know about HTTPS; absent when the cluster has no TLS terminator. */
export interface VclTlsInput {
  /**
   * The ACME account key's RFC 7638 thumbprint: the key authorization of an HTTP-01 token is
   * `<token>.<thumbprint>`, so Varnish answers every challenge without being told each token
   * (no VCL reload per order, and every Varnish node answers alike).
   */
  readonly acmeThumbprint?: string;
  /** The port visitors reach https on; the redirect names it unless it is 443. */
  readonly httpsPort?: number;
}

/** Per-site HTTPS settings. */
export interface VclSiteTls {
  /** The site gets its certificate by ACME: its domains answer HTTP-01 challenges. */
  readonly acme: boolean;
  /** 301 plain http to https (set only once the site's certificate is served). */
  readonly redirect: boolean;
  readonly hsts?: { readonly maxAge: number; readonly includeSubDomains: boolean };
}

/** The name of Varnish's PROXY listener that only the TLS terminator reaches (`-a tls=...,PROXY`). */
export const TLS_LISTENER = "tls";
/** Internal synth codes, turned into 200 and 301 in vcl_synth. */
const ACME_SYNTH = 752;
const REDIRECT_SYNTH = 751;
const ACME_PATH = "^/\\.well-known/acme-challenge/[A-Za-z0-9_-]{1,256}$";
const THUMBPRINT = /^[A-Za-z0-9_-]{43}$/;

interface SiteTlsView {
  readonly domains: readonly string[];
  readonly name: string;
  readonly tls?: VclSiteTls;
}

/** At the top of vcl_recv, right after the host is normalised. */
export function tlsRecv(tls: VclTlsInput | undefined, sites: readonly SiteTlsView[]): string {
  if (tls === undefined) return "";
  const out = [
    `  # Only the TLS terminator reaches the "${TLS_LISTENER}" listener (PROXY v2, so client.ip is the visitor's).`,
    `  if (local.socket == "${TLS_LISTENER}") {\n    set req.http.X-Forwarded-Proto = "https";\n  } else {\n    set req.http.X-Forwarded-Proto = "http";\n  }`,
  ];
  const acme = domainsWhere(sites, (t) => t.acme);
  if (tls.acmeThumbprint !== undefined && acme.length > 0) {
    if (!THUMBPRINT.test(tls.acmeThumbprint)) throw new Error(`not an ACME account thumbprint: ${tls.acmeThumbprint}`);
    out.push(
      `  if (req.url ~ "${ACME_PATH}" && (${hostIn(acme)})) {\n` +
        `    set req.http.X-Simulium-Acme = regsub(req.url, "^.*/", "") + ".${tls.acmeThumbprint}";\n` +
        `    return (synth(${ACME_SYNTH}));\n  }`,
    );
  }
  const redirect = domainsWhere(sites, (t) => t.redirect);
  if (redirect.length > 0) {
    out.push(`  if (req.http.X-Forwarded-Proto == "http" && (${hostIn(redirect)})) {\n    return (synth(${REDIRECT_SYNTH}));\n  }`);
  }
  return `${out.join("\n")}\n`;
}

/** At the top of vcl_synth. */
export function tlsSynth(tls: VclTlsInput | undefined): string {
  if (tls === undefined) return "";
  return `  if (resp.status == ${ACME_SYNTH}) {
    set resp.status = 200;
    set resp.reason = "OK";
    set resp.http.Content-Type = "text/plain";
    set resp.http.Cache-Control = "no-store";
    synthetic(req.http.X-Simulium-Acme);
    return (deliver);
  }
  if (resp.status == ${REDIRECT_SYNTH}) {
    set resp.status = 301;
    set resp.reason = "Moved Permanently";
    set resp.http.Location = "https://" + req.http.host${portSuffix(tls.httpsPort)} + req.url;
    return (deliver);
  }
`;
}

/** In vcl_deliver: Strict-Transport-Security on the https answers of the sites that ask for it. */
export function tlsDeliver(tls: VclTlsInput | undefined, sites: readonly SiteTlsView[]): string {
  if (tls === undefined) return "";
  return sites
    .filter((s) => s.tls?.hsts !== undefined && s.domains.length > 0)
    .map((s) => {
      const h = s.tls?.hsts ?? { maxAge: 0, includeSubDomains: false };
      const value = `max-age=${Math.trunc(h.maxAge)}${h.includeSubDomains ? "; includeSubDomains" : ""}`;
      return `  if (req.http.X-Forwarded-Proto == "https" && (${hostIn(s.domains)})) {\n    set resp.http.Strict-Transport-Security = "${value}";\n  }\n`;
    })
    .join("");
}

/** `:PORT` for a port other than https's own; the host was stripped of any port in vcl_recv. */
function portSuffix(port: number | undefined): string {
  if (port === undefined || port === 443) return "";
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new Error(`not a port: ${port}`);
  return ` + ":${port}"`;
}

function domainsWhere(sites: readonly SiteTlsView[], pick: (t: VclSiteTls) => boolean): string[] {
  return [...new Set(sites.flatMap((s) => (s.tls !== undefined && pick(s.tls) ? s.domains : [])))].sort();
}

function hostIn(domains: readonly string[]): string {
  return domains.map((d) => `req.http.host == "${d}"`).join(" || ");
}
