import { formatPath } from "../manifests/issue";
import { TLS_KEY_SEAL_NAME } from "../manifests/types";
import type { LoadResult, ManifestError, ResolvedSite, SealedCiphertext } from "../manifests/types";
import { UnsealError } from "./age";
import { openEnvelope, scopeMismatch, sealCommand } from "./envelope";

/** Decrypts one sealed value; throws UnsealError (whose message never holds the value). */
export type Decrypt = (ciphertext: string) => Promise<Buffer>;

export interface Unsealed {
  /** The load with every site whose sealed values do not all decrypt moved to the invalid ones. */
  readonly load: LoadResult;
  /** Plain values by `site/secret`. Held in memory for apply only: never printed or logged. */
  readonly values: ReadonlyMap<string, Buffer>;
}

export function sealedKey(site: string, secret: string): string {
  return `${site}/${secret}`;
}

/**
 * Decrypts the sealed secrets of every valid site (spec.secrets, and the mail passwords,
 * which resolve to secrets of the site). A value must be bound to the site and the secret's
 * name (`simulium seal --site S --name N`); one bound elsewhere, to the cluster, or to nothing,
 * or that does not decrypt, makes its site invalid (left as it runs, like a site with a
 * broken manifest), located at its `sealed` field; the other sites go on.
 */
export async function unsealSites(load: LoadResult, decrypt: Decrypt): Promise<Unsealed> {
  const values = new Map<string, Buffer>();
  const sites: ResolvedSite[] = [];
  const errors: ManifestError[] = [];
  for (const site of load.sites) {
    const siteErrors: ManifestError[] = [];
    const siteValues: Array<[string, Buffer]> = [];
    for (const secret of site.secrets) {
      if (!("sealed" in secret)) continue;
      const result = await unsealOne(secret.sealed, decrypt, { site: site.name, name: secret.name });
      if (typeof result === "string") siteErrors.push(located(site, secret.sealed, secret.name, result));
      else siteValues.push([sealedKey(site.name, secret.name), result]);
    }
    // A certificate of the site's own: its key, bound to the name tls-key (never a web secret).
    if (site.tls?.mode === "certificate") {
      const key = site.tls.certificate.key;
      const result = await unsealOne(key, decrypt, { site: site.name, name: TLS_KEY_SEAL_NAME });
      if (typeof result === "string") siteErrors.push(located(site, key, TLS_KEY_SEAL_NAME, result));
      else siteValues.push([sealedKey(site.name, TLS_KEY_SEAL_NAME), result]);
    }
    if (siteErrors.length > 0) {
      errors.push(...siteErrors);
      continue;
    }
    sites.push(site);
    for (const [k, v] of siteValues) values.set(k, v);
  }
  if (errors.length === 0) return { load, values };
  const failed = new Set(errors.map((e) => e.site ?? ""));
  return {
    load: {
      ...load,
      sites,
      invalidSites: [...new Set([...load.invalidSites, ...failed])].sort(),
      errors: [...load.errors, ...errors].sort((a, b) => compare(a.file, b.file) || a.line - b.line || a.column - b.column),
    },
    values,
  };
}

/** The value, or why it cannot be had. */
async function unsealOne(sealed: SealedCiphertext, decrypt: Decrypt, here: { site: string; name: string }): Promise<Buffer | string> {
  try {
    const { value, scope } = openEnvelope(await decrypt(sealed.ciphertext));
    const misplaced = scopeMismatch(scope, here);
    if (misplaced) return misplaced;
    return value.length > 0 ? value : "decrypts to an empty value, which Swarm cannot store: seal a non-empty value";
  } catch (err) {
    if (!(err instanceof UnsealError)) throw err;
    return `cannot be decrypted: ${err.message}; seal the value again with ${sealCommand(here)} (it uses simulium.yaml's spec.sealing.publicKey, which must match this controller's key)`;
  }
}

function located(site: ResolvedSite, sealed: SealedCiphertext, secret: string, message: string): ManifestError {
  return {
    file: site.file,
    line: sealed.line,
    column: sealed.column,
    path: formatPath(sealed.path ?? ["spec", "secrets", sealed.index, "sealed"]),
    message: `sealed secret "${secret}" ${message}`,
    site: site.name,
  };
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
