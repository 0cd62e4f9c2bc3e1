import type Docker from "dockerode";
import { LABEL } from "../desired/labels";
import { loadRegistryAuth } from "../engine/registry-auth";
import type { LiveSecret } from "../live/types";
import type { Logger } from "../log";
import type { ResolvedCluster } from "../manifests/types";
import { ControllerSecretName, hashOfValue } from "../state/controller-secret";
import { StateStore } from "../state/store";
import { readSecretsThroughJob } from "./read-secret-job";
import { recoveryJobSpec } from "./recover-job";

/** A Swarm secret to read back: mounted at /run/secrets/<target>, its value checked, then kept. */
export interface SecretToRecover {
  readonly secret: LiveSecret;
  readonly target: string;
  /** The value matches the hash the secret's name and labels carry (never trust a read blindly). */
  readonly matches: (value: Buffer) => boolean;
}

/**
 * Reads Swarm secrets back, which the engine never gives: one one-off job in `image` mounts
 * them all and the values are read through exec streams of that job, whose log driver is
 * "none" (jobs/read-secret-job.ts), on this engine's node. A value that does not match its
 * hash is refused and nothing is returned.
 */
export async function readBack(docker: Docker, cluster: ResolvedCluster, image: string, items: readonly SecretToRecover[], timeoutSeconds: number): Promise<Map<string, Buffer>> {
  if (items.length === 0) return new Map();
  const auth = (await loadRegistryAuth(cluster.registryAuth?.configFile))(image);
  const values = await readSecretsThroughJob(docker, {
    job: recoveryJobSpec(cluster.instance, image, items.map((i) => ({ secretName: i.secret.name, target: i.target }))),
    targets: items.map((i) => i.target),
    kind: "state-recover",
    timeoutSeconds,
    ...(auth ? { auth } : {}),
  });
  for (const i of items) {
    const value = values.get(i.target);
    if (value === undefined || !i.matches(value)) throw new Error(`${i.target}: the value read from ${i.secret.name} does not match its hash; nothing was written`);
  }
  return values;
}

export type Recovered = { readonly name: string; readonly from: string; readonly file: string; readonly outcome: "recovered" | "present" };

/**
 * The controller secrets this cluster uses, each with the image that reads it back: the
 * Varnish admin secret when Varnish is configured, the restic password when backups use the
 * generated one. A secret the swarm keeps but the cluster no longer uses (Varnish or backups
 * turned off, or a sealed restic password, whose secret carries a hash of the ciphertext) is
 * not this state's to recover.
 */
function controllerSecretsInUse(cluster: ResolvedCluster): { readonly name: ControllerSecretName; readonly image: string }[] {
  return [
    ...(cluster.varnish.image !== undefined ? [{ name: "varnish-secret" as const, image: cluster.varnish.image }] : []),
    ...(cluster.backup !== undefined && "generated" in cluster.backup.password ? [{ name: "restic-password" as const, image: cluster.backup.image }] : []),
  ];
}

/**
 * Reads the controller's secrets the cluster uses back from the swarm into a state directory
 * that lacks them: written only where no file is (nothing is ever replaced, no secret rotates).
 * A secret the swarm does not have yet is left out (apply makes it).
 */
export async function recoverControllerSecrets(
  docker: Docker,
  cluster: ResolvedCluster,
  store: StateStore,
  secrets: readonly LiveSecret[],
  opts: { readonly timeoutSeconds: number },
): Promise<Recovered[]> {
  const out: Recovered[] = [];
  for (const { name, image } of controllerSecretsInUse(cluster)) {
    const onSwarm = secrets.filter((s) => s.site === null && s.labels[LABEL.secret] === name);
    const secret = onSwarm[0];
    if (secret === undefined) continue;
    if (store.read(name) !== undefined) {
      out.push({ name, from: secret.name, file: store.path(name), outcome: "present" });
      continue;
    }
    if (onSwarm.length > 1) throw new Error(`${name}: the swarm has ${onSwarm.map((s) => s.name).join(", ")}; recover needs exactly one`);
    const matches = (value: Buffer) => hashOfValue(value) === secret.labels[LABEL.specHash];
    const values = await readBack(docker, cluster, image, [{ secret, target: name, matches }], opts.timeoutSeconds);
    store.createOnce(name, values.get(name) as Buffer);
    out.push({ name, from: secret.name, file: store.path(name), outcome: "recovered" });
  }
  return out;
}

/** Whether every controller secret the cluster uses is in the state directory (then nothing is read from the swarm). */
export function controllerSecretsPresent(cluster: ResolvedCluster, store: StateStore): boolean {
  return controllerSecretsInUse(cluster).every(({ name }) => store.read(name) !== undefined);
}

/** The daemon's log line for what was read back: names and files, never a value. */
export function logRecovered(log: Logger, recovered: readonly Recovered[]): void {
  for (const r of recovered) {
    if (r.outcome === "recovered") log.warn({ secret: r.name, from: r.from, file: r.file }, "the state directory lacked a secret the swarm runs with: read back from the swarm");
  }
}
