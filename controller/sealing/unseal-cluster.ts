import { formatError } from "../manifests/format";
import { formatPath, PathSegment } from "../manifests/issue";
import { CLUSTER_FILE } from "../manifests/layout";
import { parseManifest } from "../manifests/parse";
import type { ManifestError, ResolvedCluster } from "../manifests/types";
import { UnsealError } from "./age";
import { openEnvelope, scopeMismatch } from "./envelope";
import type { Decrypt } from "./unseal-sites";

/** The cluster setting name `spec.backup.password` is sealed for (`simulium seal --cluster --name restic-password`). */
export const RESTIC_PASSWORD_SETTING = "restic-password";

/** A sealed value of simulium.yaml: the setting it is for, and where it is written. */
export interface ClusterSealed {
  /** Also the name it is sealed for: `restic-password`, or the environment variable's name. */
  readonly name: string;
  readonly ciphertext: string;
  readonly path: readonly PathSegment[];
}

/** simulium.yaml has sealed values bound to no scope, or to a site: nothing is planned until they are sealed for the cluster. */
export class ClusterSealedError extends Error {
  constructor(readonly errors: readonly ManifestError[]) {
    super(`simulium.yaml is invalid; nothing is planned or changed until it is fixed: ${errors.map(formatError).join("; ")}`);
    this.name = "ClusterSealedError";
  }
}

/** Every sealed value simulium.yaml holds. Pure. */
export function clusterSealedValues(cluster: ResolvedCluster): ClusterSealed[] {
  const backup = cluster.backup;
  if (!backup) return [];
  const out: ClusterSealed[] = [];
  if ("sealed" in backup.password) out.push({ name: RESTIC_PASSWORD_SETTING, ciphertext: backup.password.sealed, path: ["spec", "backup", "password", "sealed"] });
  for (const [name, ciphertext] of Object.entries(backup.env)) out.push({ name, ciphertext, path: ["spec", "backup", "env", name, "sealed"] });
  return out;
}

/**
 * Decrypts simulium.yaml's sealed values, by setting name. Each must have been sealed for the
 * cluster and that setting: one sealed for a site (whose committer could read it back from
 * /run/secrets) or for no scope is refused, and the whole file with it (ClusterSealedError,
 * located in `clusterText`). A value that does not decrypt at all is left out: apply then
 * fails on that one secret, by name, rather than every site's reconcile.
 */
export async function unsealCluster(cluster: ResolvedCluster, decrypt: Decrypt, clusterText: string | undefined): Promise<ReadonlyMap<string, Buffer>> {
  const values = new Map<string, Buffer>();
  const problems: Array<{ readonly path: readonly PathSegment[]; readonly message: string }> = [];
  for (const sealed of clusterSealedValues(cluster)) {
    let plain: Buffer;
    try {
      plain = await decrypt(sealed.ciphertext);
    } catch (err) {
      if (!(err instanceof UnsealError)) throw err;
      continue;
    }
    const { value, scope } = openEnvelope(plain);
    const misplaced = scopeMismatch(scope, { cluster: true, name: sealed.name });
    if (misplaced) problems.push({ path: sealed.path, message: `sealed value ${misplaced}` });
    else values.set(sealed.name, value);
  }
  if (problems.length > 0) throw new ClusterSealedError(problems.map((p) => locate(clusterText, p)));
  return values;
}

function locate(text: string | undefined, issue: { readonly path: readonly PathSegment[]; readonly message: string }): ManifestError {
  const parsed = text === undefined ? undefined : parseManifest(CLUSTER_FILE, text);
  if (parsed?.ok) return parsed.manifest.locate(issue);
  return { file: CLUSTER_FILE, line: 0, column: 0, path: formatPath(issue.path), message: issue.message };
}
