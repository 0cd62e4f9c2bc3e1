import type Docker from "dockerode";
import { LABEL } from "../desired/labels";
import { loadRegistryAuth } from "../engine/registry-auth";
import { readSecretThroughJob } from "./read-secret-job";
import { recoveryJobSpec } from "./recover-job";
import type { ResolvedCluster } from "../manifests/types";
import { readLiveSecrets } from "../live/read";
import type { LiveSecret } from "../live/types";
import { CONTROLLER_SECRET_NAMES, ControllerSecretName, hashOfValue } from "../state/controller-secret";
import { StateStore } from "../state/store";
import type { Logger } from "../log";

export type Recovered = { readonly name: ControllerSecretName; readonly from: string; readonly outcome: "recovered" | "present" };

/**
 * Reads the controller's secrets back from the swarm into a state directory that lacks them.
 * The swarm never gives a secret's value back; a one-off job that mounts the secret does,
 * through an exec stream of a job whose log driver is "none" (jobs/read-secret-job.ts), on this
 * engine's node. The value is checked against the hash in the secret's name and written only
 * where no file is: nothing is ever replaced, and no secret rotates. A secret the swarm does
 * not have is left out (apply makes it).
 */
export async function recoverControllerSecrets(
  docker: Docker,
  cluster: ResolvedCluster,
  store: StateStore,
  secrets: readonly LiveSecret[],
  opts: { readonly timeoutSeconds: number },
): Promise<Recovered[]> {
  const auth = await loadRegistryAuth(cluster.registryAuth?.configFile);
  const images: Record<ControllerSecretName, string | undefined> = { "varnish-secret": cluster.varnish.image, "restic-password": cluster.backup?.image };
  const out: Recovered[] = [];
  for (const name of CONTROLLER_SECRET_NAMES) {
    const onSwarm = secrets.filter((s) => s.site === null && s.labels[LABEL.secret] === name);
    const secret = onSwarm[0];
    if (secret === undefined) continue;
    if (store.read(name) !== undefined) {
      out.push({ name, from: secret.name, outcome: "present" });
      continue;
    }
    if (onSwarm.length > 1) throw new Error(`${name}: the swarm has ${onSwarm.map((s) => s.name).join(", ")}; recover needs exactly one`);
    const image = images[name];
    if (image === undefined) throw new Error(`${name}: simulium.yaml names no image to read it with (${name === "varnish-secret" ? "spec.varnish.image" : "spec.backup.image"})`);
    const imageAuth = auth(image);
    const value = await readSecretThroughJob(docker, {
      job: recoveryJobSpec(cluster.instance, image, secret.name, name),
      target: name,
      kind: "state-recover",
      timeoutSeconds: opts.timeoutSeconds,
      ...(imageAuth ? { auth: imageAuth } : {}),
    });
    // The name carries a hash of the value: a value that does not match it is not that secret's.
    if (hashOfValue(value) !== secret.labels[LABEL.specHash]) throw new Error(`${name}: the value read from ${secret.name} does not match its hash; nothing was written`);
    store.createOnce(name, value);
    out.push({ name, from: secret.name, outcome: "recovered" });
  }
  return out;
}

/**
 * The daemon's way: a controller deployed as a Swarm service keeps its state in a volume, which
 * is empty on its first start and on another manager when Swarm moves it there. The other
 * commands fail closed (the operator may have named the wrong --state-dir); the daemon reads
 * the values the swarm runs with, which are the right ones wherever it runs. With every file
 * in place it makes no engine call. Logged with the secret's name, never its value.
 */
export async function recoverStateFromSwarm(docker: Docker, cluster: ResolvedCluster, stateDir: string, log: Logger): Promise<void> {
  const store = new StateStore(stateDir, cluster.instance, "read-write");
  if (CONTROLLER_SECRET_NAMES.every((name) => store.read(name) !== undefined)) return;
  const secrets = await readLiveSecrets(docker, cluster.instance);
  for (const r of await recoverControllerSecrets(docker, cluster, store, secrets, { timeoutSeconds: 120 })) {
    if (r.outcome === "recovered") log.warn({ secret: r.name, from: r.from, file: store.path(r.name) }, "the state directory lacked a controller secret the swarm runs with: read back from the swarm");
  }
}
