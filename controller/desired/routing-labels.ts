import type { RoutingOverrides } from "../manifests/types";
import { PASS_PATH } from "../varnish/vcl-input";
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
