import type { SiteClaims } from "./cross-site";
import type { PathSegment } from "./issue";
import type { ResolvedSite } from "./types";

type Locate = (path: readonly PathSegment[]) => { readonly line: number; readonly column: number };

/**
 * What a site's access services claim across sites: the host ports they publish and
 * phpMyAdmin's domain, which Varnish routes like a web domain. Pure.
 */
export function accessClaims(site: ResolvedSite, locate: Locate): Pick<Required<SiteClaims>, "domains" | "ports"> {
  const a = site.access ?? {};
  const ports: Array<{ port: number; path: PathSegment[] }> = [];
  if (a.sftp) ports.push({ port: a.sftp.port, path: ["spec", "access", "sftp", "port"] });
  if (a.ssh) ports.push({ port: a.ssh.port, path: ["spec", "access", "ssh", "port"] });
  const domains = [];
  if (a.phpmyadmin) {
    const path: PathSegment[] = ["spec", "access", "phpmyadmin", "domain"];
    const at = locate(path);
    domains.push({ name: a.phpmyadmin.domain, line: at.line, column: at.column, path });
  }
  return { domains, ports };
}
