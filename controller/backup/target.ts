import type Docker from "dockerode";
import { renderSite } from "../desired/render";
import { connectDocker } from "../engine/docker";
import { readSitePin } from "../live/read";
import type { ResourceSpec } from "../desired/types";
import { AuthLookup, loadRegistryAuth } from "../engine/registry-auth";
import type { ResolvedCluster, ResolvedSite } from "../manifests/types";
import { loadRepo } from "../manifests/load";
import { effectiveCluster, findSite } from "../manifests/select";
import { resolveStateDir, StateStore } from "../state/store";
import { backupConfigOf } from "./job";
import { generatedPasswordFor } from "./password";
import type { BackupTarget } from "./run";

/**
 * What a backup job of a site needs: the site, its rendered resources (their secret names are
 * the versions the swarm has), the generated password's hash and the tools image's registry
 * credentials. Throws when backups are off.
 */
export function backupTarget(site: ResolvedSite, cluster: ResolvedCluster, rendered: readonly ResourceSpec[], stateDir: string, auth: AuthLookup): BackupTarget {
  const imageAuth = auth(backupConfigOf(cluster).image);
  const generated = generatedPasswordFor(cluster, new StateStore(stateDir, cluster.instance, "read-only"));
  return { site, cluster, rendered, ...(generated ? { generated } : {}), ...(imageAuth ? { auth: imageAuth } : {}) };
}

/** A site of the manifests repository as the backup commands need it; throws when backups are off or the site is unknown. */
export async function loadBackupTarget(opts: { repo: string; instance?: string; stateDir?: string }, siteName: string, docker: Docker = connectDocker()): Promise<BackupTarget> {
  const load = await loadRepo(opts.repo);
  const cluster = effectiveCluster(load, opts.instance);
  backupConfigOf(cluster);
  const site = findSite(load, siteName, opts.repo);
  // The backup or restore job mounts the site's volumes: it runs where they are.
  const rendered = renderSite(site, cluster, await readSitePin(docker, cluster.instance, site.name));
  return backupTarget(site, cluster, rendered, resolveStateDir(opts.stateDir), await loadRegistryAuth(cluster.registryAuth?.configFile));
}
