import type { PathSegment } from "./issue";
import type { ResolvedSite } from "./types";

/**
 * Gives each sealed value the file position of its `sealed` field: decryption happens later
 * (only the controller holds the key), and its failure must still point at file:line.
 */
export function locateSealed(site: ResolvedSite, locate: (path: readonly PathSegment[]) => { line: number; column: number }): ResolvedSite {
  site = locateTlsKey(site, locate);
  if (!site.secrets.some((s) => "sealed" in s)) return site;
  return {
    ...site,
    secrets: site.secrets.map((s) => {
      if (!("sealed" in s)) return s;
      const at = locate(s.sealed.path ?? ["spec", "secrets", s.sealed.index, "sealed"]);
      return { ...s, sealed: { ...s.sealed, line: at.line, column: at.column } };
    }),
  };
}

function locateTlsKey(site: ResolvedSite, locate: (path: readonly PathSegment[]) => { line: number; column: number }): ResolvedSite {
  const tls = site.tls;
  if (tls?.mode !== "certificate") return site;
  const key = tls.certificate.key;
  const at = locate(key.path ?? ["spec", "tls", "certificate", "key", "sealed"]);
  return { ...site, tls: { ...tls, certificate: { ...tls.certificate, key: { ...key, line: at.line, column: at.column } } } };
}
