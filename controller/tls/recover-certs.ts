import type Docker from "dockerode";
import { LABEL } from "../desired/labels";
import { readBack, Recovered, SecretToRecover } from "../jobs/recover-state";
import type { LiveState } from "../live/types";
import type { LoadResult, ResolvedCluster } from "../manifests/types";
import type { StateStore } from "../state/store";
import { readCertPem, writeCert } from "../state/tls-store";
import { BadPemError, CertInfo, checkBundle } from "./pem";
import { hashOf, TLS_CERT_ROLE, TLS_SITE_LABEL } from "./render";
import { issuedRecord } from "./schedule";

/**
 * The ordered certificates a state directory lacks, read back from the swarm's certificate
 * secrets (from which the delivery jobs copy them to the terminators, tls/deliver.ts). Without
 * them a controller on a fresh state volume (its first start as a Swarm service, or on another
 * manager) renders no certificate secret: its plan would remove the live ones and every ACME
 * site would lose https until new orders went through (rate limits, DNS checks from the new
 * node). Each bundle is checked against the hash its secret carries and written with a renewal
 * record made from the certificate itself, so no order is placed before it is due. Of a site's
 * secrets (a superseded one lingers until its removal), the certificate valid longest wins.
 * Sites with their own certificate (from the manifest) are not the state's. An expired bundle
 * is left out: it is ordered again.
 */
export async function recoverCerts(
  docker: Docker,
  cluster: ResolvedCluster,
  load: LoadResult,
  store: StateStore,
  live: Pick<LiveState, "secrets">,
  opts: { readonly timeoutSeconds: number; readonly now: Date },
): Promise<Recovered[]> {
  const tls = cluster.tls;
  if (tls === undefined) return [];
  const own = new Set(load.sites.filter((s) => s.tls?.mode === "certificate").map((s) => s.name));
  const items: (SecretToRecover & { readonly site: string })[] = live.secrets.flatMap((secret) => {
    const site = secret.labels[TLS_SITE_LABEL];
    if (secret.labels[LABEL.role] !== TLS_CERT_ROLE || site === undefined || own.has(site) || readCertPem(store, site) !== undefined) return [];
    return [{ site, secret, target: `tls-${site}-${secret.labels[LABEL.specHash] ?? ""}`, matches: (value: Buffer) => hashOf(value) === secret.labels[LABEL.specHash] }];
  });
  const values = await readBack(docker, cluster, tls.image, items, opts.timeoutSeconds);
  const best = new Map<string, { readonly item: (typeof items)[number]; readonly pem: string; readonly info: CertInfo }>();
  for (const item of items) {
    const pem = (values.get(item.target) as Buffer).toString("utf8");
    let info: CertInfo;
    try {
      info = checkBundle(item.site, pem, opts.now);
    } catch (err) {
      if (err instanceof BadPemError) continue;
      throw err;
    }
    const seen = best.get(item.site);
    if (seen === undefined || info.notAfter > seen.info.notAfter) best.set(item.site, { item, pem, info });
  }
  const out: Recovered[] = [];
  for (const [site, { item, pem, info }] of best) {
    writeCert(store, site, pem, issuedRecord(info.names, info, tls.acme?.renewBeforeFraction ?? 1 / 3, Math.random(), {}));
    out.push({ name: `tls-${site}`, from: item.secret.name, file: store.path(`tls/${site}.pem`), outcome: "recovered" });
  }
  return out;
}
