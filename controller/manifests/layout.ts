/**
 * Where things live in a manifests repository and which directory entries count. Pure:
 * the I/O edge (read.ts) lists entries and asks here what each one is.
 */

export const SITES_DIR = "sites";
export const CLUSTER_FILE = "simulium.yaml";
/** Manifests are a few KiB; the cap refuses a huge file before it is read into memory. */
export const MAX_FILE_BYTES = 256 * 1024;
/** Manifests are shallow; a YAML nesting deeper is hostile or a mistake. */
export const MAX_DEPTH = 32;

export const SITE_NAME = /^[a-z][a-z0-9-]{0,39}$/;

export type Entry =
  | { readonly kind: "site"; readonly site: string }
  /** Hidden files (.gitkeep, editor swap files) and .md notes beside the manifests. */
  | { readonly kind: "ignored" }
  | { readonly kind: "error"; readonly message: string; readonly site?: string };

/** What a name found directly in sites/ is. `isDirectory` comes from the I/O edge. */
export function classifySiteEntry(fileName: string, isDirectory: boolean): Entry {
  if (fileName.startsWith(".")) return { kind: "ignored" };
  if (!isDirectory && fileName.endsWith(".md")) return { kind: "ignored" };
  const yaml = /^(.*)\.(yaml|yml)$/.exec(fileName);
  // A recognisable site name is reported as invalid (not as absent), so the controller leaves
  // that site running instead of removing it because its file was mis-named.
  const stem = yaml?.[1] ?? "";
  const site = SITE_NAME.test(stem) ? stem : undefined;
  if (isDirectory) {
    return { kind: "error", message: "is a directory: sites/ holds only <site>.yaml files", ...(site ? { site } : {}) };
  }
  if (yaml?.[2] === "yml") {
    return { kind: "error", message: `site manifests use the .yaml extension: rename to ${stem}.yaml`, ...(site ? { site } : {}) };
  }
  if (!yaml) {
    return { kind: "error", message: "is not a site manifest: sites/ holds only <site>.yaml files (and .md notes)" };
  }
  if (!site) {
    return {
      kind: "error",
      message: "the file name is not a valid site name: use lower-case letters, digits and '-', starting with a letter, at most 40 characters",
    };
  }
  return { kind: "site", site };
}

/** The site a repository-relative path is the manifest of, if it is one. */
export function siteOfPath(path: string): string | undefined {
  const m = /^sites\/([^/]+)$/.exec(path);
  if (!m) return undefined;
  const entry = classifySiteEntry(m[1] ?? "", false);
  return entry.kind === "site" ? entry.site : undefined;
}
