import type Docker from "dockerode";
import { randomBytes } from "node:crypto";
import { accessResources } from "../access/render";
import { enterMaintenance, Maintenance } from "../apply/maintenance";
import { LABEL } from "../desired/labels";
import { renderSite } from "../desired/render";
import type { ResourceSpec, ServiceSpec } from "../desired/types";
import type { ApiSecret, ApiService } from "../engine/api-types";
import { loadRegistryAuth } from "../engine/registry-auth";
import { runJob, JobResult } from "../jobs/run-job";
import { livePins } from "../live/pins";
import { readLive } from "../live/read";
import type { LiveService, LiveState } from "../live/types";
import type { Logger } from "../log";
import { loadRepo } from "../manifests/load";
import { effectiveCluster, findSite } from "../manifests/select";
import type { ResolvedCluster, ResolvedSite } from "../manifests/types";
import type { AfterApplyOptions } from "../routing/after-apply";
import { routeAfterMove } from "../routing/after-move";
import type { RoutingResult } from "../routing/sync";
import { decideMove, MovePlan, moveHoldOf, moveHoldWhat, MoveStep } from "./decide";
import { moveJobSpec, siteVolumes } from "./job";
import { moveRecord } from "./record";
import { manifestMismatch, MoveManifest, parseManifest, receiverScript, senderScript } from "./scripts";
import { switchPin } from "./switch";

/**
 * `simulium move SITE --to NODE`, the imperative shell over decide.ts's steps: each step
 * reads the swarm and acts on it, so a move run again after an interruption finds what the
 * first run did (held services, copied files, the record, a switched pin) and goes on.
 */

/** Nothing was changed: the move may not run (decide.ts says why). */
export class MoveRefusedError extends Error {}

/** The move started and did not finish; the message says where the site is and what to do. */
export class MoveFailedError extends Error {}

export interface MoveOptions {
  readonly repo: string;
  readonly instance?: string;
  readonly site: string;
  readonly to: string;
  /** The tools image (rsync) the copy runs in; default simulium.yaml spec.backup.image. */
  readonly image?: string;
  /** For each copy job; the hold lasts this long and a margin, then reconciles take over again. */
  readonly timeoutSeconds: number;
  readonly log?: Logger;
  /** Each step as it starts. */
  readonly onStep?: (step: MoveStep) => void;
  readonly onOutput?: (text: string) => void;
  /** Routing re-synced once the site runs on the new node (every site of the repository). */
  readonly routing?: AfterApplyOptions;
  readonly pollMs?: number;
  /** Only decide: the steps are returned, nothing is changed. */
  readonly dryRun?: boolean;
  /** Stops once this step is done, the hold left on (what an interrupted move leaves: tests). */
  readonly stopAfter?: MoveStep;
}

export interface MoveResult {
  readonly plan: MovePlan;
  /** Both nodes' manifest (they matched); null when the copy was done by an earlier run. */
  readonly verified: MoveManifest | null;
  /** The volumes left on the old node. */
  readonly retained: readonly string[];
  readonly routing?: RoutingResult | null;
}

/** Past the copy's timeout, the hold ends anyway. */
const HOLD_MARGIN_SECONDS = 600;
/** Held first, started last: nothing serves or writes while the data is copied. */
const STOP_ORDER = ["web", "phpmyadmin", "ssh", "sftp", "db"];

export async function moveSite(docker: Docker, opts: MoveOptions): Promise<MoveResult> {
  const load = await loadRepo(opts.repo);
  const cluster = effectiveCluster(load, opts.instance);
  const site = findSite(load, opts.site, opts.repo);
  const live = await readLive(docker, cluster.instance);
  const services = siteServices(live, site.name);
  const decision = decideMove({
    site,
    cluster,
    nodes: live.nodes ?? [],
    pinned: livePins(live).pinned.get(site.name),
    to: opts.to,
    serviceLabels: services.map((s) => s.labels),
    now: Date.now(),
  });
  if (decision.kind === "refused") throw new MoveRefusedError(decision.message);
  const plan = decision.plan;
  const from = plan.from.id;
  const to = plan.to.id;
  const render = (node: string): ResourceSpec[] => renderSite(site, cluster, { node, here: node === live.here }, [accessResources]);
  const [oldRendered, newRendered] = [render(from), render(to)];
  const retained = siteVolumes(site.name, oldRendered).map((v) => v.name);
  const log = opts.log;
  if (opts.dryRun) return { plan, verified: null, retained };
  const step = (s: MoveStep): boolean => {
    if (!plan.steps.includes(s)) return false;
    opts.onStep?.(s);
    log?.info({ site: site.name, step: s, from: plan.from.hostname, to: plan.to.hostname }, "move step");
    return true;
  };
  const stopHere = (s: MoveStep): boolean => opts.stopAfter === s;

  const holds: { readonly name: string; readonly hold: Maintenance }[] = [];
  let switched = plan.resumed;
  let verified: MoveManifest | null = null;
  try {
    if (step("hold")) {
      const seconds = opts.timeoutSeconds + HOLD_MARGIN_SECONDS;
      for (const s of ordered(services, STOP_ORDER)) {
        // A hold a stopped move left has the service at 0: the manifest says how many come back.
        const again = moveHoldOf(s.labels, Date.now()) !== undefined;
        const replicas = again ? renderedReplicas(oldRendered, s.name) : undefined;
        holds.push({ name: s.name, hold: await enterMaintenance(docker, s.name, moveHoldWhat(from, to), seconds, { pollMs: opts.pollMs, ...(replicas !== undefined ? { replicas } : {}) }) });
      }
      if (stopHere("hold")) return { plan, verified, retained };
    }
    if (step("copy")) {
      const image = opts.image ?? cluster.backup?.image;
      if (!image) throw new MoveFailedError("no tools image to copy the data with: pass --image (an image with rsync, sha256sum and a POSIX sh) or set spec.backup.image in simulium.yaml");
      const [sent, received] = await copyData(docker, site, cluster, { from, to, oldRendered, newRendered, image, opts });
      if (sent.exitCode !== 0 || received.exitCode !== 0) {
        const which = sent.exitCode !== 0 ? `the sending job on ${plan.from.hostname} exited ${sent.exitCode}: ${tail(sent.output)}` : `the receiving job on ${plan.to.hostname} exited ${received.exitCode}: ${tail(received.output)}`;
        throw new MoveFailedError(`copying the data failed (${which})`);
      }
      if (step("verify")) {
        const mismatch = manifestMismatch(parseManifest(sent.output), parseManifest(received.output));
        if (mismatch !== null) throw new MoveFailedError(`the copy does not match: ${mismatch}`);
        verified = parseManifest(sent.output);
        log?.info({ site: site.name, files: verified?.files }, "move: the copy matches the old node's files");
      }
      if (stopHere("verify") || stopHere("copy")) return { plan, verified, retained };
    }
    if (step("record")) await ensureRecord(docker, moveRecord(cluster.instance, site.name, from, retained));
    if (step("switch")) {
      // The pin follows the services' labels (live/pins.ts): the site's secrets follow too, so a
      // site removed later and added again finds its data on the node it is on now.
      await switchServices(docker, cluster.instance, site.name, from, to, newRendered);
      await relabelSecrets(docker, cluster.instance, site.name, to);
      switched = true;
      if (stopHere("switch")) return { plan, verified, retained };
    }
  } catch (err) {
    // Until the switch the old node's data was only read: ending the hold there serves it again.
    // After it, the new node's data was verified: ending the hold starts the site there.
    const ended = await endHolds(docker, holds, services, from, to, (n) => renderedReplicas(switched ? newRendered : oldRendered, n));
    const where = switched ? `its pin was switched to ${plan.to.hostname}` : `it is still pinned to ${plan.from.hostname}, its data there untouched`;
    const message = err instanceof Error ? err.message : String(err);
    throw new MoveFailedError(`moving ${site.name} from ${plan.from.hostname} to ${plan.to.hostname} stopped: ${message}; ${where}; ${ended}`);
  }
  let routing: RoutingResult | null | undefined;
  if (step("start")) {
    const ended = await endHolds(docker, holds, services, from, to, (n) => renderedReplicas(newRendered, n));
    if (ended !== "its services run again") throw new MoveFailedError(`${site.name} is switched to ${plan.to.hostname}, but ${ended}: simulium status ${site.name}; simulium move ${site.name} --to ${plan.to.hostname} finishes it`);
  }
  if (step("route") && opts.routing) routing = await routeAfterMove(docker, opts.routing);
  return { plan, verified, retained, ...(routing !== undefined ? { routing } : {}) };
}

/** The site's services (jobs excluded: readLive lists them apart). */
function siteServices(live: LiveState, site: string): LiveService[] {
  return live.services.filter((s) => s.site === site);
}

function ordered(services: readonly LiveService[], order: readonly string[]): LiveService[] {
  const rank = (s: LiveService): number => {
    const i = order.indexOf(s.labels[LABEL.role] ?? "");
    return i < 0 ? order.length - 1 : i;
  };
  return [...services].sort((a, b) => rank(a) - rank(b) || a.name.localeCompare(b.name));
}

function renderedReplicas(rendered: readonly ResourceSpec[], name: string): number | undefined {
  const s = rendered.find((r): r is ServiceSpec => r.kind === "service" && r.name === name);
  return s?.shape.replicas;
}

interface CopyInput {
  readonly from: string;
  readonly to: string;
  readonly oldRendered: readonly ResourceSpec[];
  readonly newRendered: readonly ResourceSpec[];
  readonly image: string;
  readonly opts: MoveOptions;
}

/** The receiver on the new node and the sender on the old one, run together. */
async function copyData(docker: Docker, site: ResolvedSite, cluster: ResolvedCluster, c: CopyInput): Promise<[JobResult, JobResult]> {
  const token = randomBytes(24).toString("hex");
  const receiver = `${site.name}_move-${randomBytes(3).toString("hex")}`;
  const auth = (await loadRegistryAuth(cluster.registryAuth?.configFile))(c.image);
  const common = { timeoutSeconds: c.opts.timeoutSeconds, ...(auth ? { auth } : {}), ...(c.opts.pollMs !== undefined ? { pollMs: c.opts.pollMs } : {}) };
  const receiving = runJob(docker, {
    ...common,
    name: receiver,
    web: moveJobSpec(site, c.newRendered, { image: c.image, node: c.to, writable: true, env: { MOVE_TOKEN: token } }),
    command: ["sh", "-c", receiverScript(), "move-receive"],
    ...(c.opts.onOutput ? { onOutput: c.opts.onOutput } : {}),
  });
  const sending = runJob(docker, {
    ...common,
    kind: "move-send",
    web: moveJobSpec(site, c.oldRendered, { image: c.image, node: c.from, writable: false, env: { MOVE_TOKEN: token, MOVE_RECEIVER: receiver } }),
    command: ["sh", "-c", senderScript(), "move-send"],
    ...(c.opts.onOutput ? { onOutput: c.opts.onOutput } : {}),
  });
  // Both ended before the move goes on (a failed sender tells the receiver, which then stops):
  // no job of this move is left mounting the volumes when the hold ends.
  const [sent, received] = await Promise.allSettled([sending, receiving]);
  if (sent.status === "rejected") throw sent.reason;
  if (received.status === "rejected") throw received.reason;
  return [sent.value, received.value];
}

async function ensureRecord(docker: Docker, record: ReturnType<typeof moveRecord>): Promise<void> {
  const found = (await docker.listSecrets({ filters: { name: [record.name] } })) as ApiSecret[];
  if (found.some((s) => s.Spec?.Name === record.name)) return;
  await docker.createSecret({ Name: record.name, Labels: { ...record.labels }, Data: Buffer.from(record.data).toString("base64") });
}

async function switchServices(docker: Docker, instance: string, site: string, from: string, to: string, rendered: readonly ResourceSpec[]): Promise<void> {
  const listed = (await docker.listServices({ filters: { label: [`${LABEL.instance}=${instance}`, `${LABEL.site}=${site}`] } })) as ApiService[];
  for (const s of listed) {
    if (!s.Spec || s.Spec.Labels?.[LABEL.role] === "job") continue;
    const spec = rendered.find((r): r is ServiceSpec => r.kind === "service" && r.name === s.Spec?.Name);
    const next = switchPin(s.Spec, from, to, spec);
    if (next) await docker.getService(s.ID).update({ ...next, version: s.Version?.Index ?? 0 });
  }
}

async function relabelSecrets(docker: Docker, instance: string, site: string, to: string): Promise<void> {
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
async function endHolds(
  docker: Docker,
  holds: readonly { readonly name: string; readonly hold: Maintenance }[],
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
  for (const s of ordered(services, STOP_ORDER).reverse()) {
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

function tail(output: string): string {
  return output.trim().split("\n").slice(-5).join(" | ") || "no output";
}
