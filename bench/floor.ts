import { randomBytes } from "node:crypto";
import type Docker from "dockerode";
import { LABEL } from "../controller/desired/labels";
import type { DesiredState, ResourceSpec, ServiceSpec } from "../controller/desired/types";
import { serviceSpecToApi } from "../controller/apply/service-spec";
import { runLanes } from "../controller/apply/schedule";
import { generateHostKey } from "../controller/apply/host-key";
import { generateSecret } from "../controller/apply/secret-value";
import { createService } from "../controller/engine/services";
import { waitRunning } from "./swarm";

/**
 * The engine's floor for an initial converge: a bare script that makes the very objects
 * simulium's render asks for (the same DesiredState, the same engine specs through apply's
 * own serviceSpecToApi) with the same bounded concurrency, and nothing else: no manifests,
 * no reading of the swarm, no plan, no audit log, and only the barrier the engine forces
 * (a service's networks and secrets must exist before it), then waits until every task runs.
 */
export interface FloorOptions {
  readonly concurrency: number;
  readonly timeoutMs: number;
  /** Between two reads while waiting for the tasks; simulium's default poll. */
  readonly pollMs: number;
}

export async function convergeFloor(docker: Docker, desired: DesiredState, opts: FloorOptions): Promise<void> {
  const networks = new Map<string, string>();
  const secrets = new Map<string, string>();
  const labelled = (r: ResourceSpec): Record<string, string> => ({ ...r.labels, [LABEL.commit]: "floor" });
  const objects = desired.resources.filter((r): r is Exclude<ResourceSpec, ServiceSpec> => r.kind !== "service");
  // Databases first, as simulium's waves start them (no barrier between them and the rest).
  const services = desired.resources.filter((r): r is ServiceSpec => r.kind === "service").sort((a, b) => Number(b.role === "db") - Number(a.role === "db"));
  // One lane per object: no order between them within a stage.
  const each = <T>(items: readonly T[]): T[][] => items.map((r) => [r]);
  await runLanes(each(objects), opts.concurrency, async (r) => {
    switch (r.kind) {
      case "network": {
        const net = await docker.createNetwork({ Name: r.name, Driver: r.driver, Attachable: r.attachable, CheckDuplicate: true, Labels: labelled(r) });
        networks.set(r.name, net.id);
        break;
      }
      case "volume":
        await docker.createVolume({ Name: r.name, Driver: r.driver, DriverOpts: { ...r.options }, Labels: labelled(r) });
        break;
      case "secret": {
        // The values apply makes: a base64 value's '/' or '+' would break the web's database DSN.
        const value = "generate" in r.source ? generateSecret(r.source.generate.length) : "sshHostKey" in r.source ? generateHostKey() : randomBytes(24).toString("hex");
        const created = (await docker.createSecret({ Name: r.name, Labels: labelled(r), Data: Buffer.from(value).toString("base64") })) as { id?: string; ID?: string };
        secrets.set(r.name, created.id ?? created.ID ?? "");
        break;
      }
    }
  });
  const id = (map: Map<string, string>) => (name: string): string => {
    const found = map.get(name);
    if (found === undefined) throw new Error(`floor: ${name} was not created`);
    return found;
  };
  const lookups = { networkId: id(networks), secretId: id(secrets) };
  await runLanes(each(services), opts.concurrency, async (spec) => {
    await createService(docker, undefined, serviceSpecToApi(spec, labelled(spec), lookups));
  });
  await waitRunning(docker, desired.instance, services.length, opts.timeoutMs, opts.pollMs);
}
