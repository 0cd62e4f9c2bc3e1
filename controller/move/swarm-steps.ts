import type Docker from "dockerode";
import { enterMaintenance, Maintenance } from "../apply/maintenance";
import { LABEL } from "../desired/labels";
import type { ResourceSpec, ServiceSpec } from "../desired/types";
import type { ApiSecret, ApiService } from "../engine/api-types";
import type { LiveService } from "../live/types";
import { moveHoldOf, moveHoldWhat } from "./decide";
import type { MoveRecord } from "./record";
import { switchPin } from "./switch";

/** The steps of a move that write to the swarm besides the copy: each idempotent. */

/** Held first, started last: nothing serves or writes while the data is copied. */
const STOP_ORDER = ["web", "phpmyadmin", "ssh", "sftp", "db"];

export function ordered(services: readonly LiveService[]): LiveService[] {
  const rank = (s: LiveService): number => {
    const i = STOP_ORDER.indexOf(s.labels[LABEL.role] ?? "");
    return i < 0 ? STOP_ORDER.length - 1 : i;
  };
  return [...services].sort((a, b) => rank(a) - rank(b) || a.name.localeCompare(b.name));
}

export interface TakenHold {
  readonly name: string;
  readonly hold: Maintenance;
}

export async function ensureRecord(docker: Docker, record: MoveRecord): Promise<void> {
  const found = (await docker.listSecrets({ filters: { name: [record.name] } })) as ApiSecret[];
  if (found.some((s) => s.Spec?.Name === record.name)) return;
  await docker.createSecret({ Name: record.name, Labels: { ...record.labels }, Data: Buffer.from(record.data).toString("base64") });
}

export async function switchServices(docker: Docker, instance: string, site: string, from: string, to: string, rendered: readonly ResourceSpec[]): Promise<void> {
  const listed = (await docker.listServices({ filters: { label: [`${LABEL.instance}=${instance}`, `${LABEL.site}=${site}`] } })) as ApiService[];
  for (const s of listed) {
    if (!s.Spec || s.Spec.Labels?.[LABEL.role] === "job") continue;
    const spec = rendered.find((r): r is ServiceSpec => r.kind === "service" && r.name === s.Spec?.Name);
    const next = switchPin(s.Spec, from, to, spec);
    if (next) await docker.getService(s.ID).update({ ...next, version: s.Version?.Index ?? 0 });
  }
}

export async function relabelSecrets(docker: Docker, instance: string, site: string, to: string): Promise<void> {
  const listed = (await docker.listSecrets({ filters: { label: [`${LABEL.instance}=${instance}`, `${LABEL.site}=${site}`] } })) as ApiSecret[];
  for (const s of listed) {
    const labels = s.Spec?.Labels ?? {};
    if (labels[LABEL.node] === undefined || labels[LABEL.node] === to) continue;
    // Only labels may change on a secret; the engine takes the spec back with them.
    await docker.getSecret(s.ID).update({ version: s.Version?.Index ?? 0, ...s.Spec, Labels: { ...labels, [LABEL.node]: to } });
  }
}

/**
 * Ends the move's holds: the ones this run took, and (a resumed move) those an earlier run
 * left on the site's services. Never throws: what it could not do is the answer.
 */
export async function endHolds(
  docker: Docker,
  holds: readonly TakenHold[],
  services: readonly LiveService[],
  from: string,
  to: string,
  replicasOf: (service: string) => number | undefined,
): Promise<string> {
  const failures: string[] = [];
  const taken = new Set(holds.map((h) => h.name));
  const reversed = [...holds].reverse();
  for (const h of reversed) {
    try {
      await h.hold.leave();
    } catch (err) {
      failures.push(`${h.name}: ${err instanceof Error ? err.message : String(err)}`);
    }
  }
  // Left by an earlier run of this move (resumed): scaled back to what the manifest says.
  for (const s of ordered(services).reverse()) {
    if (taken.has(s.name)) continue;
    const hold = moveHoldOf(s.labels, Date.now());
    if (!hold || hold.from !== from || hold.to !== to) continue;
    try {
      const again = await enterMaintenance(docker, s.name, moveHoldWhat(from, to), 60, { replicas: replicasOf(s.name) ?? 1 });
      await again.leave();
    } catch (err) {
      failures.push(`${s.name}: ${err instanceof Error ? err.message : String(err)}`);
    }
  }
  return failures.length === 0 ? "its services run again" : `its services could not all be started again (${failures.join("; ")})`;
}

