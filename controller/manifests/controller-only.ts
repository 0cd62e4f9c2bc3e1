import type { PathSegment } from "./issue";

/**
 * Fields simulium.yaml once had that name a file on the controller or where a credential is
 * sent. A commit to the manifests repository must not choose either: it could point a token
 * file at the restic password and the API at its own server. They are `simulium run` flags
 * now; a manifest that still sets one is told which flag replaces it. Pure.
 */
const CONTROLLER_ONLY: readonly { readonly path: readonly PathSegment[]; readonly flags: string }[] = [
  {
    path: ["spec", "notifications", "commitStatus"],
    flags:
      "simulium run --commit-status-api URL --commit-status-token-file FILE (optional --commit-status-repository owner/name, --commit-status-context NAME)",
  },
  { path: ["spec", "notifications", "webhooks", "*", "secretFile"], flags: "simulium run --notify-secret-file FILE (it signs every webhook)" },
  { path: ["spec", "notifications", "webhooks", "*", "tokenFile"], flags: "simulium run --notify-secret-file FILE (it signs every webhook)" },
  // A command the controller would run, and a secret key file: the operator's (docs/tls.md).
  { path: ["spec", "tls", "acme", "dns01"], flags: "simulium run/apply --acme-dns-hook FILE (--acme-dns-propagation-seconds N); a site asks for DNS-01 with its spec.tls.challenge or spec.tls.wildcards" },
  { path: ["spec", "tls", "acme", "externalAccountBinding"], flags: "simulium run/apply --acme-eab-kid ID --acme-eab-hmac-key-file FILE" },
];

/** Why an unknown field at `path` is refused, when it is one the controller's flags now set. */
export function controllerOnlyField(path: readonly PathSegment[]): string | undefined {
  const found = CONTROLLER_ONLY.find((f) => f.path.length === path.length && f.path.every((seg, i) => seg === "*" || seg === path[i]));
  if (!found) return undefined;
  return `is not read from the manifests repository: file paths the controller reads, and where their contents are sent, are the operator's; remove it and set ${found.flags}`;
}
