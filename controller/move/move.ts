import type Docker from "dockerode";
import { accessResources } from "../access/render";
import { enterMaintenance } from "../apply/maintenance";
import { renderSite } from "../desired/render";
import type { ResourceSpec, ServiceSpec } from "../desired/types";
import { livePins } from "../live/pins";
import { readLive } from "../live/read";
import type { LiveService, LiveState } from "../live/types";
import type { Logger } from "../log";
import { loadRepo } from "../manifests/load";
import { effectiveCluster, findSite } from "../manifests/select";
import type { AfterApplyOptions } from "../routing/after-apply";
import { routeAfterMove } from "../routing/after-move";
import type { RoutingResult } from "../routing/sync";
import { copyData } from "./copy";
import { decideMove, MovePlan, moveHoldOf, moveHoldWhat, MoveStep } from "./decide";
import { siteVolumes } from "./job";
import { moveRecord } from "./record";
import { manifestMismatch, MoveManifest, parseManifest } from "./scripts";
import { endHolds, ensureRecord, ordered, relabelSecrets, switchServices, TakenHold } from "./swarm-steps";

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

  const holds: TakenHold[] = [];
  let switched = plan.resumed;
  let verified: MoveManifest | null = null;
  try {
    if (step("hold")) {
      const seconds = opts.timeoutSeconds + HOLD_MARGIN_SECONDS;
      for (const s of ordered(services)) {
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
      const [sent, received] = await copyData(docker, site, cluster, {
        from,
        to,
        oldRendered,
        newRendered,
        image,
        timeoutSeconds: opts.timeoutSeconds,
        ...(opts.onOutput ? { onOutput: opts.onOutput } : {}),
        ...(opts.pollMs !== undefined ? { pollMs: opts.pollMs } : {}),
      });
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

function renderedReplicas(rendered: readonly ResourceSpec[], name: string): number | undefined {
  const s = rendered.find((r): r is ServiceSpec => r.kind === "service" && r.name === name);
  return s?.shape.replicas;
}

function tail(output: string): string {
  return output.trim().split("\n").slice(-5).join(" | ") || "no output";
}
