import { isIPv4 } from "node:net";
import type { VclSiteTls, VclTlsInput } from "./vcl-tls";

/**
 * The plain data the VCL is rendered from. Manifests are validated upstream, but everything
 * here ends up inside VCL source, so it is checked again: a manifest must never be able to
 * inject VCL.
 */
export interface VclInput {
  readonly sites: readonly VclSite[];
  /**
   * `dnsrr`: one backend per running task, addressed by its IPv4 on the edge network (a service
   * name resolves to several addresses there, which Varnish refuses).
   * `vip`: one backend per site naming its service (`<site>_web`), resolved once by Varnish.
   */
  readonly mode: "dnsrr" | "vip";
  /** Operator VCL appended inside the matching subroutine; see varnish-readme.md. */
  readonly snippets?: VclSnippets;
  /** Sites' admin tools (phpMyAdmin), each on a host name of its own. */
  readonly tools?: readonly VclTool[];
  /** HTTPS (vcl-tls.ts): present when the cluster has a TLS terminator. */
  readonly tls?: VclTlsInput;
}

/**
 * A site's admin tool on a host name of its own: every request passes (never cached, never
 * served to someone else), and there is no health probe, since the tool answers only behind
 * its own authentication.
 */
export interface VclTool {
  /** The site it belongs to. */
  readonly site: string;
  readonly tool: "phpmyadmin";
  readonly domain: string;
  readonly backends: readonly VclBackend[];
}

export interface VclSnippets {
  /** In vcl_recv after routing and PURGE/BAN handling, before the caching rules. */
  readonly recv?: string;
  /** At the end of simulium's vcl_backend_response, before Varnish's built-in rules. */
  readonly backendResponse?: string;
  /** At the end of vcl_deliver. */
  readonly deliver?: string;
}

export interface VclBackend {
  /** IPv4 task address (dnsrr) or service name (vip). */
  readonly host: string;
  readonly port: number;
}

export interface VclHealthcheck {
  /** Path probed on every backend, e.g. `/user/login`. */
  readonly path: string;
  /** Seconds between probes. */
  readonly interval: number;
  /** Seconds before a probe fails. */
  readonly timeout: number;
}

/** Per-site overrides of the Drupal/CiviCRM defaults (proposed manifest field `spec.routing`). */
export interface VclRouting {
  /** `false`: never cache this site, every request goes to the backend. Default `true`. */
  readonly cache?: boolean;
  /** Extra path prefixes never cached, matched per segment (`/shop` passes `/shop/cart`, not `/shopping`). */
  readonly passPaths?: readonly string[];
  /** Seconds; replaces the backend's TTL for responses it made cacheable. Default: the backend's headers. */
  readonly ttl?: number;
  /** Seconds static assets (css, js, images, fonts) are cached. Default 86400. */
  readonly staticTtl?: number;
  /** Seconds an expired object may still be served while a fresh one is fetched or the site is down. Default 3600. */
  readonly grace?: number;
  /** Seconds Varnish waits for the first byte of a response (long CiviCRM reports, imports). Default 120. */
  readonly firstByteTimeout?: number;
}

export interface VclSite {
  /** Site name, `^[a-z][a-z0-9-]*$`. */
  readonly name: string;
  /** Host names routed to this site. The first one is sent as Host by the health probe. */
  readonly domains: readonly string[];
  readonly backends: readonly VclBackend[];
  readonly healthcheck: VclHealthcheck;
  readonly routing?: VclRouting;
  /**
   * IPv4 addresses allowed to PURGE and BAN this site's objects: its own running tasks' edge
   * addresses (in both modes: a task connects from its own address, never from a VIP). Empty
   * or absent: nobody, since one site must never invalidate another's cache.
   */
  readonly purgers?: readonly string[];
  /** HTTPS of the site (vcl-tls.ts); absent: plain http only. */
  readonly tls?: VclSiteTls;
}

/** Input that would produce invalid or injected VCL. `field` locates it, e.g. `sites[acme].domains[1]`. */
export class VclInputError extends Error {
  readonly kind = "vcl-input" as const;
  constructor(
    readonly field: string,
    problem: string,
  ) {
    super(`${field}: ${problem}`);
    this.name = "VclInputError";
  }
}

export const ROUTING_DEFAULTS = {
  cache: true,
  passPaths: [] as readonly string[],
  staticTtl: 86400,
  grace: 3600,
  firstByteTimeout: 120,
} as const;

const SITE_NAME = /^[a-z][a-z0-9-]{0,62}$/;
const DNS_LABEL = "[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?";
const DOMAIN = new RegExp(`^(?:${DNS_LABEL}\\.)+[a-z](?:[a-z0-9-]{0,61}[a-z0-9])?$`);
// Docker service names carry underscores (`acme_web`), so hosts allow them where domains do not.
const HOST_LABEL = "[A-Za-z0-9](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9])?";
const HOST_NAME = new RegExp(`^${HOST_LABEL}(?:\\.${HOST_LABEL})*$`);
// Same character set as the manifest schema; `%` only as a complete escape so nothing decodes to `"`.
export const HEALTH_PATH = /^\/(?:[A-Za-z0-9._~/?=&-]|%[0-9A-Fa-f]{2}){0,200}$/;
export const PASS_PATH = /^\/[A-Za-z0-9._~/-]{0,200}$/;
const MAX_SECONDS = 31_536_000;

/** Throws VclInputError on the first problem; returns nothing so callers keep their own data. */
export function validateVclInput(input: VclInput): void {
  if (input.mode !== "dnsrr" && input.mode !== "vip") throw new VclInputError("mode", `must be "dnsrr" or "vip"`);
  const seenNames = new Set<string>();
  const owner = new Map<string, string>();
  input.sites.forEach((site, i) => {
    if (typeof site.name !== "string" || !SITE_NAME.test(site.name)) {
      throw new VclInputError(`sites[${i}].name`, `${quote(site.name)} is not a site name (^[a-z][a-z0-9-]*$)`);
    }
    if (seenNames.has(site.name)) throw new VclInputError(`sites[${site.name}]`, "site declared twice");
    seenNames.add(site.name);
    validateSite(site, input.mode);
    site.domains.forEach((d) => {
      const other = owner.get(d);
      if (other !== undefined && other !== site.name) {
        throw new VclInputError(`sites[${site.name}].domains`, `${d} already belongs to site ${other}`);
      }
      owner.set(d, site.name);
    });
  });
  (input.tools ?? []).forEach((tool, i) => {
    const at = `tools[${i}]`;
    if (typeof tool.site !== "string" || !SITE_NAME.test(tool.site)) throw new VclInputError(`${at}.site`, `${quote(tool.site)} is not a site name`);
    if (tool.tool !== "phpmyadmin") throw new VclInputError(`${at}.tool`, `${quote(tool.tool)} is not a known tool`);
    validateDomain(tool.domain, `${at}.domain`);
    validateBackends(tool.backends, input.mode, `${at}.backends`);
    const owned = owner.get(tool.domain);
    if (owned !== undefined) throw new VclInputError(`${at}.domain`, `${tool.domain} already belongs to ${owned}`);
    owner.set(tool.domain, `the ${tool.tool} of site ${tool.site}`);
  });
  const snippets = input.snippets ?? {};
  for (const key of ["recv", "backendResponse", "deliver"] as const) {
    const s = snippets[key];
    if (s !== undefined) validateSnippet(s, `snippets.${key}`);
  }
}

function validateSite(site: VclSite, mode: VclInput["mode"]): void {
  const at = `sites[${site.name}]`;
  site.domains.forEach((d, i) => validateDomain(d, `${at}.domains[${i}]`));
  validateBackends(site.backends, mode, `${at}.backends`);
  (site.purgers ?? []).forEach((ip, i) => {
    if (typeof ip !== "string" || !isIPv4(ip)) throw new VclInputError(`${at}.purgers[${i}]`, `${quote(ip)} is not an IPv4 address`);
  });
  const hc = site.healthcheck;
  if (typeof hc.path !== "string" || !HEALTH_PATH.test(hc.path)) {
    throw new VclInputError(`${at}.healthcheck.path`, `${quote(hc.path)} is not a plain URL path`);
  }
  checkSeconds(hc.interval, `${at}.healthcheck.interval`, 1);
  checkSeconds(hc.timeout, `${at}.healthcheck.timeout`, 1);
  const r = site.routing ?? {};
  if (r.cache !== undefined && typeof r.cache !== "boolean") throw new VclInputError(`${at}.routing.cache`, "must be a boolean");
  (r.passPaths ?? []).forEach((p, i) => {
    if (typeof p !== "string" || !PASS_PATH.test(p)) {
      throw new VclInputError(`${at}.routing.passPaths[${i}]`, `${quote(p)} is not a plain path prefix`);
    }
  });
  if (r.ttl !== undefined) checkSeconds(r.ttl, `${at}.routing.ttl`, 0);
  if (r.staticTtl !== undefined) checkSeconds(r.staticTtl, `${at}.routing.staticTtl`, 0);
  if (r.grace !== undefined) checkSeconds(r.grace, `${at}.routing.grace`, 0);
  if (r.firstByteTimeout !== undefined) checkSeconds(r.firstByteTimeout, `${at}.routing.firstByteTimeout`, 1);
}

function validateDomain(d: string, field: string): void {
  if (typeof d !== "string" || d.length > 253 || !DOMAIN.test(d)) throw new VclInputError(field, `${quote(d)} is not a lower-case DNS name`);
}

function validateBackends(backends: readonly VclBackend[], mode: VclInput["mode"], at: string): void {
  if (mode === "vip" && backends.length > 1) throw new VclInputError(at, "vip mode takes one backend per service (the service name)");
  backends.forEach((b, i) => {
    const f = `${at}[${i}]`;
    if (typeof b.host !== "string") throw new VclInputError(`${f}.host`, "must be a string");
    if (mode === "dnsrr" && !isIPv4(b.host)) {
      throw new VclInputError(`${f}.host`, `${quote(b.host)} is not an IPv4 address (dnsrr mode never names hosts)`);
    }
    if (mode === "vip" && !isIPv4(b.host) && !(b.host.length <= 253 && HOST_NAME.test(b.host))) {
      throw new VclInputError(`${f}.host`, `${quote(b.host)} is neither an IPv4 address nor a DNS name`);
    }
    if (!Number.isInteger(b.port) || b.port < 1 || b.port > 65535) {
      throw new VclInputError(`${f}.port`, `${String(b.port)} is not a TCP port`);
    }
  });
}

function checkSeconds(v: number, field: string, min: number): void {
  if (!Number.isInteger(v) || v < min || v > MAX_SECONDS) {
    throw new VclInputError(field, `${String(v)} is not a whole number of seconds between ${min} and ${MAX_SECONDS}`);
  }
}

/**
 * Snippets are the operator's own VCL (cluster settings), so this is a guard against mistakes,
 * not a security boundary: a snippet must stay inside its subroutine (balanced braces outside
 * strings and comments) so it cannot silently redefine the rest of the configuration.
 */
function validateSnippet(s: string, field: string): void {
  if (typeof s !== "string") throw new VclInputError(field, "must be a string");
  if (s.includes("\0")) throw new VclInputError(field, "contains a NUL byte");
  let depth = 0;
  let i = 0;
  while (i < s.length) {
    const rest = s.slice(i);
    if (rest.startsWith('{"')) {
      const end = s.indexOf('"}', i + 2);
      if (end < 0) throw new VclInputError(field, "unterminated {\" long string");
      i = end + 2;
    } else if (rest.startsWith('"')) {
      const end = s.indexOf('"', i + 1);
      const nl = s.indexOf("\n", i + 1);
      if (end < 0 || (nl >= 0 && nl < end)) throw new VclInputError(field, "unterminated string");
      i = end + 1;
    } else if (rest.startsWith("/*")) {
      const end = s.indexOf("*/", i + 2);
      if (end < 0) throw new VclInputError(field, "unterminated comment");
      i = end + 2;
    } else if (rest.startsWith("#") || rest.startsWith("//")) {
      const nl = s.indexOf("\n", i);
      i = nl < 0 ? s.length : nl + 1;
    } else {
      if (s[i] === "{") depth++;
      if (s[i] === "}") depth--;
      if (depth < 0) throw new VclInputError(field, "closes a brace it did not open (a snippet stays inside its subroutine)");
      i++;
    }
  }
  if (depth !== 0) throw new VclInputError(field, "has an unclosed brace");
}

/** Shows a bad value without letting control characters through into logs. */
function quote(v: unknown): string {
  return JSON.stringify(typeof v === "string" ? v.slice(0, 80) : v) ?? String(v);
}
