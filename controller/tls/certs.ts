import { TLS_KEY_SEAL_NAME } from "../manifests/types";
import type { LoadResult, ResolvedCluster } from "../manifests/types";
import { sealedKey } from "../sealing/unseal-sites";
import type { StateStore } from "../state/store";
import { readCertPem } from "../state/tls-store";
import { BadPemError, checkBundle } from "./pem";
import { LABEL } from "../desired/labels";
import type { ResourceSpec } from "../desired/types";
import { SiteCert, TLS_CERT_ROLE, TLS_SITE_LABEL } from "./render";

export interface KnownCerts {
  readonly certs: readonly SiteCert[];
  /** Certificates refused before any rollout: the terminator keeps serving the previous one. */
  readonly warnings: readonly { readonly site: string; readonly name: string; readonly message: string }[];
}

/**
 * The certificates the terminator serves: every site with TLS whose stored bundle passes
 * checkBundle (suspended ones included), and sites with an invalid manifest keep theirs (left
 * as they run, like the rest of them). A bundle that does not pass is never rendered; a plan warning says why.
 */
export function knownCerts(cluster: ResolvedCluster, load: LoadResult, store: StateStore, now: Date, sealed: ReadonlyMap<string, Buffer> = new Map()): KnownCerts {
  if (cluster.tls === undefined) return { certs: [], warnings: [] };
  const own = new Map(load.sites.flatMap((s) => (s.tls?.mode === "certificate" ? [[s.name, s.tls.certificate.chain] as const] : [])));
  // Suspended sites too: their objects stay as they run, and so does their HTTPS.
  const names = [...load.sites.filter((s) => s.tls !== undefined).map((s) => s.name), ...load.invalidSites];
  const certs: SiteCert[] = [];
  const warnings: { site: string; name: string; message: string }[] = [];
  for (const site of names) {
    const chain = own.get(site);
    const key = sealed.get(sealedKey(site, TLS_KEY_SEAL_NAME));
    // The site's own certificate: its sealed key, then the chain from the manifest.
    const pem = chain !== undefined ? (key === undefined ? undefined : Buffer.from(`${key.toString("utf8").trim()}\n${chain.trim()}\n`)) : readCertPem(store, site);
    if (pem === undefined) continue;
    try {
      checkBundle(site, pem.toString("utf8"), now);
      certs.push({ site, pem });
    } catch (err) {
      if (!(err instanceof BadPemError)) throw err;
      const from = chain !== undefined ? "spec.tls.certificate" : store.path(`tls/${site}.pem`);
      warnings.push({ site, name: site, message: `${err.message}: not rolled out (${from})` });
    }
  }
  return { certs, warnings };
}

/** A certificate secret's bundle, by the Swarm name render gave it (apply asks for it by name). */
export function certValueLookup(resources: readonly ResourceSpec[], certs: KnownCerts["certs"]): (secretName: string) => Buffer | undefined {
  const bySite = new Map(certs.map((c) => [c.site, c.pem]));
  const byName = new Map<string, Buffer>();
  for (const r of resources) {
    const site = r.kind === "secret" && r.labels[LABEL.role] === TLS_CERT_ROLE ? r.labels[TLS_SITE_LABEL] : undefined;
    const pem = site === undefined ? undefined : bySite.get(site);
    if (pem !== undefined) byName.set(r.name, pem);
  }
  return (name) => byName.get(name);
}
