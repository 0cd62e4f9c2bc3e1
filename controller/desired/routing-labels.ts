import { SITE_DEFAULTS } from "../manifests/defaults";
import type { RoutingOverrides } from "../manifests/types";
import { HEALTH_PATH, PASS_PATH } from "../varnish/vcl-input";
import { LABEL } from "./labels";
import type { Labels } from "./types";

const SECONDS_FIELDS = ["ttl", "staticTtl", "grace", "firstByteTimeout"] as const;
const MAX_SECONDS = 31_536_000;

/**
 * `spec.routing` as web-service labels, one per set field. Service labels, not task labels:
 * a caching change reloads the VCL and must never restart the site. They also let the plan
 * show a routing change field by field, and keep an invalid site routed as it was applied.
 * passPaths are sorted (the VCL does not depend on their order) and comma-joined (the schema
 * allows no comma in a path).
 */
export function routingLabels(routing: RoutingOverrides | undefined): Record<string, string> {
  const r = routing ?? {};
  const out: Record<string, string> = {};
  if (r.cache !== undefined) out[LABEL.routingPrefix + "cache"] = String(r.cache);
  if (r.passPaths !== undefined && r.passPaths.length > 0) out[LABEL.routingPrefix + "passPaths"] = [...new Set(r.passPaths)].sort().join(",");
  for (const f of SECONDS_FIELDS) {
    const v = r[f];
    if (v !== undefined) out[LABEL.routingPrefix + f] = String(v);
  }
  return out;
}

/**
 * The overrides a web service was last applied with, for a site whose manifest is now
 * invalid. Labels can be edited by hand, so a value that does not parse is left out (the
 * default applies) rather than breaking the VCL of every site.
 */
export function routingFromLabels(labels: Labels): RoutingOverrides | undefined {
  const get = (f: string): string | undefined => labels[LABEL.routingPrefix + f];
  const out: { -readonly [K in keyof RoutingOverrides]: RoutingOverrides[K] } = {};
  const cache = get("cache");
  if (cache === "true" || cache === "false") out.cache = cache === "true";
  const paths = (get("passPaths") ?? "").split(",").filter((p) => PASS_PATH.test(p));
  if (paths.length > 0) out.passPaths = paths;
  for (const f of SECONDS_FIELDS) {
    const v = get(f);
    const min = f === "firstByteTimeout" ? 1 : 0;
    if (v !== undefined && /^[0-9]{1,8}$/.test(v) && Number(v) >= min && Number(v) <= MAX_SECONDS) out[f] = Number(v);
  }
  return Object.keys(out).length > 0 ? out : undefined;
}

/** What Varnish needs of a site's web tier besides its tasks: the port and the probe. */
export interface SiteBackend {
  readonly port: number;
  readonly healthcheck: { readonly path: string; readonly interval: number; readonly timeout: number };
}

const BACKEND = {
  port: `${LABEL.routingPrefix}port`,
  path: `${LABEL.routingPrefix}healthcheck.path`,
  interval: `${LABEL.routingPrefix}healthcheck.interval`,
  timeout: `${LABEL.routingPrefix}healthcheck.timeout`,
} as const;

/**
 * `spec.web.port` and `spec.web.healthcheck` as web-service labels, always all four: the VCL of
 * a site whose manifest later turns invalid is rendered from them, so it keeps the backend and
 * probe it runs with instead of falling back to the defaults. Service labels: a change reloads
 * the VCL (and shows in the plan as `routing.port`, `routing.healthcheck.path`) without
 * restarting a task.
 */
export function backendLabels(b: SiteBackend): Record<string, string> {
  return {
    [BACKEND.port]: String(b.port),
    [BACKEND.path]: b.healthcheck.path,
    [BACKEND.interval]: String(b.healthcheck.interval),
    [BACKEND.timeout]: String(b.healthcheck.timeout),
  };
}

/**
 * The port and probe a web service was last applied with. A label that is missing (a service
 * applied before these labels existed) or does not parse (edited by hand) gives the default
 * for that field alone, so one bad label never breaks the VCL of every site.
 */
export function backendFromLabels(labels: Labels): SiteBackend {
  const d = SITE_DEFAULTS;
  const whole = (key: string, min: number, max: number, fallback: number): number => {
    const v = labels[key];
    return v !== undefined && /^[0-9]{1,8}$/.test(v) && Number(v) >= min && Number(v) <= max ? Number(v) : fallback;
  };
  const path = labels[BACKEND.path];
  return {
    port: whole(BACKEND.port, 1, 65535, d.web.port),
    healthcheck: {
      path: path !== undefined && HEALTH_PATH.test(path) ? path : d.healthcheck.path,
      interval: whole(BACKEND.interval, 1, MAX_SECONDS, d.healthcheck.interval),
      timeout: whole(BACKEND.timeout, 1, MAX_SECONDS, d.healthcheck.timeout),
    },
  };
}
