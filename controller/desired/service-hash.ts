import { hashOfJson } from "./hash";
import { LABEL } from "./labels";
import { serviceJson } from "./service-json";
import type { ServiceSpec } from "./types";

/**
 * The spec hash of a service: shortHash({ shape, labels }) of what the render gave, written by
 * the service writer. Only a service that is created or updated needs it (as its
 * `simulium.spec-hash` label: what a rollback is held against, and how drift is told from a
 * manifest change), so the plan computes it for those: hashing every service of every site
 * was half the render at 10,000 sites, for a label no comparison reads (it is volatile).
 */
export function serviceSpecHash(spec: ServiceSpec): string {
  return hashOfJson(serviceJson(spec.shape, spec.labels));
}

/** The service as apply sends it: its labels plus its spec hash. */
export function withSpecHash(spec: ServiceSpec): ServiceSpec {
  return { ...spec, labels: { ...spec.labels, [LABEL.specHash]: serviceSpecHash(spec) } };
}
