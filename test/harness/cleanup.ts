import type Docker from "dockerode";
import { HarnessError } from "./errors";
import type { Namespace } from "./namespace";
import { waitFor } from "./wait";

export interface CleanupReport {
  readonly services: readonly string[];
  readonly containers: readonly string[];
  readonly secrets: readonly string[];
  readonly configs: readonly string[];
  readonly networks: readonly string[];
  readonly volumes: readonly string[];
}

/**
 * Removes every service, container, secret, config, network and volume carrying the label
 * filter (`key=value`, or a Namespace's filter) and nothing else: every list call is filtered
 * by it. Services go first; the rest only once their tasks' containers are gone, since those
 * hold secrets, networks and volumes. Tries everything, then throws if anything remains.
 */
export async function cleanupNamespace(docker: Docker, label: Namespace | string): Promise<CleanupReport> {
  const filter = typeof label === "string" ? label : label.filter;
  if (!/^[^=\s]+=[^=\s]+$/.test(filter)) throw new HarnessError(`cleanup needs a key=value label filter, got "${filter}"`);
  const filters = JSON.stringify({ label: [filter] });
  const failures: string[] = [];
  const attempt = async (what: string, fn: () => Promise<unknown>): Promise<boolean> => {
    try {
      await fn();
      return true;
    } catch (err) {
      if (statusOf(err) === 404) return true;
      failures.push(`${what}: ${err instanceof Error ? err.message : String(err)}`);
      return false;
    }
  };

  const services = await docker.listServices({ filters });
  const serviceIds = services.map((s) => s.ID);
  for (const s of services) await attempt(`service ${s.Spec?.Name}`, () => docker.getService(s.ID).remove());

  const serviceContainers = async (): Promise<number> => {
    let count = 0;
    for (const id of serviceIds) {
      const byService = JSON.stringify({ label: [`com.docker.swarm.service.id=${id}`] });
      count += (await docker.listContainers({ all: true, filters: byService })).length;
    }
    return count;
  };
  await waitFor(async () => (await serviceContainers()) === 0, {
    timeout: 60_000,
    what: `the tasks of ${serviceIds.length} removed services to go`,
  }).catch((err: unknown) => failures.push(String(err)));

  const containers = await docker.listContainers({ all: true, filters });
  for (const c of containers) {
    await attempt(`container ${c.Names[0]}`, () => docker.getContainer(c.Id).remove({ force: true, v: false }));
  }

  const secrets = await docker.listSecrets({ filters });
  for (const s of secrets) await attempt(`secret ${s.Spec?.Name}`, () => docker.getSecret(s.ID).remove());
  const configs = await docker.listConfigs({ filters });
  for (const c of configs) await attempt(`config ${c.Spec?.Name}`, () => docker.getConfig(c.ID).remove());

  // A removed task's network attachment and volume reference are released a moment after its
  // container goes; retry "in use" for a while before reporting it.
  const networks = await docker.listNetworks({ filters });
  for (const n of networks) await retryInUse(`network ${n.Name}`, () => docker.getNetwork(n.Id).remove(), attempt);
  const volumes = (await docker.listVolumes({ filters })).Volumes ?? [];
  for (const v of volumes) await retryInUse(`volume ${v.Name}`, () => docker.getVolume(v.Name).remove(), attempt);

  if (failures.length > 0) throw new HarnessError(`cleanup of ${filter} left objects behind:\n  ${failures.join("\n  ")}`);
  return {
    services: services.map((s) => s.Spec?.Name ?? s.ID),
    containers: containers.map((c) => c.Names[0] ?? c.Id),
    secrets: secrets.map((s) => s.Spec?.Name ?? s.ID),
    configs: configs.map((c) => c.Spec?.Name ?? c.ID),
    networks: networks.map((n) => n.Name),
    volumes: volumes.map((v) => v.Name),
  };
}

async function retryInUse(
  what: string,
  remove: () => Promise<unknown>,
  attempt: (what: string, fn: () => Promise<unknown>) => Promise<boolean>,
): Promise<void> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    try {
      await remove();
      return;
    } catch (err) {
      const status = statusOf(err);
      if (status === 404) return;
      if (Date.now() >= deadline || (status !== 409 && status !== 403 && status !== 500)) {
        await attempt(what, () => Promise.reject(err));
        return;
      }
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
  }
}

function statusOf(err: unknown): number | undefined {
  if (typeof err === "object" && err !== null && "statusCode" in err) {
    const code = (err as { statusCode: unknown }).statusCode;
    return typeof code === "number" ? code : undefined;
  }
  return undefined;
}
