/**
 * Docker image references, per the distribution reference grammar
 * (github.com/distribution/reference): `[host[:port]/]path[:tag][@sha256:<64 hex>]`.
 * Checked here so a typo fails the pull request, not the rollout on a node.
 */
export interface ImageRef {
  readonly domain?: string;
  readonly path: string;
  readonly tag?: string;
  readonly digest?: string;
}

export type ImageRefResult = { readonly ok: true; readonly ref: ImageRef } | { readonly ok: false; readonly problem: string };

const DOMAIN_COMPONENT = "(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])";
const DOMAIN = new RegExp(`^(?:${DOMAIN_COMPONENT}(?:\\.${DOMAIN_COMPONENT})*|\\[[a-fA-F0-9:]+\\])(?::[0-9]+)?$`);
const PATH_COMPONENT = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;
const TAG = /^[\w][\w.-]{0,127}$/;
const DIGEST = /^sha256:[a-f0-9]{64}$/;
const MAX_NAME = 255;

export function parseImageRef(text: string): ImageRefResult {
  const fail = (problem: string): ImageRefResult => ({ ok: false, problem });
  if (text === "") return fail("is empty");
  const at = text.indexOf("@");
  const rest = at >= 0 ? text.slice(0, at) : text;
  const digest = at >= 0 ? text.slice(at + 1) : undefined;
  if (digest !== undefined && !DIGEST.test(digest)) return fail("has an invalid digest: use @sha256:<64 lower-case hex digits>");

  const lastSlash = rest.lastIndexOf("/");
  const colon = rest.lastIndexOf(":");
  const hasTag = colon > lastSlash;
  const name = hasTag ? rest.slice(0, colon) : rest;
  const tag = hasTag ? rest.slice(colon + 1) : undefined;
  if (tag !== undefined && !TAG.test(tag)) {
    return fail(`has an invalid tag ${JSON.stringify(tag)}: letters, digits, '_', '.' and '-', not starting with '.' or '-', at most 128 characters`);
  }
  if (name === "") return fail("has no repository name");
  if (name.length > MAX_NAME) return fail(`has a repository name longer than ${MAX_NAME} characters`);

  const parts = name.split("/");
  // As in Docker: the first component is a registry host only if it looks like one.
  const first = parts[0] ?? "";
  const isDomain = parts.length > 1 && (first.includes(".") || first.includes(":") || first === "localhost" || first !== first.toLowerCase());
  const domain = isDomain ? first : undefined;
  if (domain !== undefined && !DOMAIN.test(domain)) return fail(`has an invalid registry host ${JSON.stringify(domain)}`);
  const path = isDomain ? parts.slice(1) : parts;
  for (const component of path) {
    if (component !== component.toLowerCase()) return fail("must be lower-case in its repository path (only the registry host may contain capitals)");
    if (!PATH_COMPONENT.test(component)) {
      return fail(`has an invalid path component ${JSON.stringify(component)}: lower-case letters and digits, separated by '.', '_', '__' or '-'`);
    }
  }
  return {
    ok: true,
    ref: { path: path.join("/"), ...(domain !== undefined ? { domain } : {}), ...(tag !== undefined ? { tag } : {}), ...(digest !== undefined ? { digest } : {}) },
  };
}
