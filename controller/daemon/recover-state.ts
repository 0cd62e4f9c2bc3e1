import type Docker from "dockerode";
import { controllerSecretsPresent, logRecovered, recoverControllerSecrets } from "../jobs/recover-state";
import { readLive } from "../live/read";
import type { Logger } from "../log";
import type { LoadResult, ResolvedCluster } from "../manifests/types";
import { StateStore } from "../state/store";
import { recoverCerts } from "../tls/recover-certs";

/**
 * The daemon's own `simulium state recover`. A controller deployed as a Swarm service keeps its
 * state in a volume, empty on its first start and on another manager when Swarm moves it there.
 * The other commands fail closed (the operator may have named the wrong --state-dir); the daemon
 * reads back the values the swarm runs with, which are the right ones wherever it runs: the
 * controller secrets the cluster uses, then the ordered certificates (tls/recover-certs.ts). A
 * state directory holding the controller secrets is one in use: then no engine call is made.
 */
export async function recoverStateFromSwarm(docker: Docker, loaded: { readonly cluster: ResolvedCluster; readonly load: LoadResult }, stateDir: string, log: Logger): Promise<void> {
  const { cluster, load } = loaded;
  const store = new StateStore(stateDir, cluster.instance, "read-write");
  if (controllerSecretsPresent(cluster, store)) return;
  const live = await readLive(docker, cluster.instance, "plan");
  const opts = { timeoutSeconds: 120, now: new Date() };
  logRecovered(log, await recoverControllerSecrets(docker, cluster, store, live.secrets, opts));
  logRecovered(log, await recoverCerts(docker, cluster, load, store, live, opts));
}
