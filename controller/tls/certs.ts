import type { LoadResult, ResolvedCluster } from "../manifests/types";
import type { StateStore } from "../state/store";
import { readCertPem } from "../state/tls-store";
import { BadPemError, checkBundle } from "./pem";
import type { SiteCert } from "./render";

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
export function knownCerts(cluster: ResolvedCluster, load: LoadResult, store: StateStore, now: Date): KnownCerts {
  if (cluster.tls === undefined) return { certs: [], warnings: [] };
  // Suspended sites too: their objects stay as they run, and so does their HTTPS.
  const names = [...load.sites.filter((s) => s.tls !== undefined).map((s) => s.name), ...load.invalidSites];
  const certs: SiteCert[] = [];
  const warnings: { site: string; name: string; message: string }[] = [];
  for (const site of names) {
    const pem = readCertPem(store, site);
    if (pem === undefined) continue;
    try {
      checkBundle(site, pem.toString("utf8"), now);
      certs.push({ site, pem });
    } catch (err) {
      if (!(err instanceof BadPemError)) throw err;
      warnings.push({ site, name: site, message: `${err.message}: not rolled out (${store.path(`tls/${site}.pem`)})` });
    }
  }
  return { certs, warnings };
}
