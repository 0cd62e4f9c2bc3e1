import type { ImageResolution } from "../engine/distribution";
import { parseImageRef } from "../manifests/image-ref";
import type { ResolveDigests } from "../manifests/types";
import type { DesiredState, ServiceSpec } from "./types";

/**
 * Tags pinned to digests, as `docker stack deploy --resolve-image always` does: a service is
 * sent as `name:tag@sha256:…`, so every node runs the same bytes (a node pulling the tag later
 * would get whatever was pushed since) and a tag pushed again (an OS or PHP security update)
 * is a change the plan shows and apply rolls out. The engine looks the digests up
 * (engine/distribution.ts); this module decides which images need one and writes them in. Pure.
 */

export type { ImageResolution };

/** A site whose image could not be resolved: left as it runs (plan/rotation-guard.ts freezeSites). */
export interface UnresolvedImage {
  readonly site: string;
  readonly service: string;
  /** The manifest field that names the image. */
  readonly field: string;
  readonly image: string;
  readonly error: string;
}

const DOCKER_HUB_HOSTS: ReadonlySet<string> = new Set(["docker.io", "index.docker.io", "registry-1.docker.io"]);

/** Whether `image` is looked up under `mode`: never one the manifest already pins to a digest. */
export function needsDigest(image: string, mode: ResolveDigests): boolean {
  if (mode === "never") return false;
  const parsed = parseImageRef(image);
  if (!parsed.ok || parsed.ref.digest !== undefined) return false;
  if (mode === "always") return true;
  // `registry`: an image that names its registry. A bare name (`drupal:10`, a locally built
  // `simulium/web:local`) may exist only in the nodes' image stores, where a lookup would fail.
  return parsed.ref.domain !== undefined && !DOCKER_HUB_HOSTS.has(parsed.ref.domain);
}

/** The distinct images of the sites' services to look up, sorted. Instance services (Varnish) keep their tag. */
export function imagesToResolve(desired: DesiredState, mode: ResolveDigests): string[] {
  const out = new Set<string>();
  for (const r of desired.resources) if (r.kind === "service" && r.site !== null && needsDigest(r.shape.image, mode)) out.add(r.shape.image);
  return [...out].sort();
}

/**
 * The desired state with each looked-up image pinned to its digest, and the services whose
 * image has none (a registry down, refusing the credentials, no such tag): their sites are
 * frozen by the caller, so nothing of them changes.
 */
export function pinImageDigests(desired: DesiredState, resolved: ReadonlyMap<string, ImageResolution>): { desired: DesiredState; unresolved: UnresolvedImage[] } {
  const unresolved: UnresolvedImage[] = [];
  const resources = desired.resources.map((r) => {
    if (r.kind !== "service" || r.site === null) return r;
    const found = resolved.get(r.shape.image);
    if (found === undefined) return r;
    if ("error" in found) {
      unresolved.push({ site: r.site, service: r.name, field: IMAGE_FIELD[r.role] ?? "spec", image: r.shape.image, error: found.error });
      return r;
    }
    const pinned: ServiceSpec = { ...r, shape: { ...r.shape, image: `${r.shape.image}@${found.digest}` } };
    return pinned;
  });
  return { desired: { ...desired, resources }, unresolved };
}

const IMAGE_FIELD: Partial<Record<ServiceSpec["role"], string>> = { web: "spec.web.image", db: "spec.database.image" };

/** The message of a site left as it runs because an image could not be resolved. */
export function unresolvedMessage(u: UnresolvedImage): string {
  return `image ${u.image} (service ${u.service}) cannot be resolved to a digest: ${u.error}. Nothing of this site is changed`;
}
