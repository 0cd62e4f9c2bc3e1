import type { Feature } from "../reconcile/feature";
import { controllerSecret, renderHash } from "../state/controller-secret";
import { backupSecretValues } from "./password";
import { resticPasswordChange } from "./password-change";
import { renderBackupResources } from "./resources";
import { unprotectedSites } from "./unprotected";

/**
 * Backups in a reconcile: the instance's restic secrets and volume in the desired state (the
 * generated password read from the state directory fail-closed), a refusal of a commit that
 * changes the restic password (unless accepted), and a warning for each site that asks for
 * backups the cluster does not configure. Backups as deploy hooks: backup/hook.ts.
 */
export function backupFeature(opts: { readonly acceptPasswordChange?: boolean } = {}): Feature {
  return {
    name: "backup",
    desired({ cluster, live, store, clusterValues }) {
      const restic =
        cluster.backup && "generated" in cluster.backup.password
          ? controllerSecret(store, "restic-password", live.secrets, { acceptChange: opts.acceptPasswordChange })
          : undefined;
      const known = restic?.state === "known" ? restic.value : undefined;
      return {
        resources: renderBackupResources(cluster, restic ? { hash: renderHash(restic) } : undefined),
        secretValue: backupSecretValues(cluster, known, clusterValues),
        controllerSecrets: [restic],
      };
    },
    // Backups written with the live password stay readable: a new one is refused instance-wide.
    refuse: (desired, live) => (opts.acceptPasswordChange ? undefined : resticPasswordChange(desired, live)),
    warnings: (load, cluster) => unprotectedSites(load.sites, cluster),
  };
}
