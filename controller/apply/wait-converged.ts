import type Docker from "dockerode";
import { LABEL } from "../desired/labels";
import type { ServiceSpec } from "../desired/types";
import { readLive, readNodes, readWatched, WatchedState } from "../live/read";
import type { LiveNode, LiveState } from "../live/types";
import { evaluateService, needsNodes } from "./convergence";
import { wakeOnContainerEvents } from "./container-events";
import { setTimeout as sleep } from "node:timers/promises";

/** The shortest pause between two reads while apply waits for updated services. */
export const CONVERGENCE_POLL_MS = 250;

/**
 * After a container event woke the wait: this many reads this far apart, since Swarm may
 * record the task's new state a little after its container's event.
 */
const QUICK_READS = 6;
const QUICK_READ_MS = 50;
/**
 * Events wake the wait only for a change this small: one site's rollout is where a quarter
 * second shows; a mass converge gains nothing from reading its many services more often.
 */
const WAKE_MAX_SERVICES = 16;

export interface WaitOptions {
  readonly instance: string;
  readonly timeoutSeconds: number;
  /** The shortest pause between reads; default CONVERGENCE_POLL_MS. */
  readonly pollMs?: number;
  /** Given the whole live state whenever a watched task changed (routing follows the tasks). */
  readonly onProgress?: (live: LiveState) => Promise<void>;
  /** After each read: how many of the changed sites are done (converged or failed), of how many. */
  readonly onConverging?: (done: number, total: number) => void;
}

export interface Watched {
  readonly site: string | null;
  readonly spec: ServiceSpec;
}

export interface RolledBack {
  readonly site: string | null;
  readonly name: string;
  readonly specHash: string;
  readonly reason: string;
}

/**
 * Polls the services apply changed, and only those, until each has converged or failed, or
 * the timeout passes. A tick is two list calls sized by the change, so a new task is seen
 * within a quarter second however many sites run, and within tens of milliseconds when its
 * container's event on this node (a start, or a health check passing) wakes the wait; the whole
 * swarm is read for onProgress only when a watched task changed. Removed services are not
 * waited for: what their tasks held (networks, volumes, secrets) is removed with retries while
 * it is still in use.
 */
export async function waitForConvergence(
  docker: Docker,
  opts: WaitOptions,
  watch: readonly Watched[],
  failures: ReadonlyMap<string | null, string>,
): Promise<{ failures: Map<string | null, string>; rolledBack: RolledBack[] }> {
  const out = new Map<string | null, string>();
  const rolledBack: RolledBack[] = [];
  const pending = new Map(watch.filter((w) => !failures.has(w.site)).map((w) => [w.spec.name, w]));
  const deadline = Date.now() + opts.timeoutSeconds * 1000;
  let seen: string | null = null;
  // Read once, when a task differs from its template in placement only: nodes do not come
  // and go during an apply often enough to be worth a list call per tick.
  let nodes: ReadonlyMap<string, LiveNode> | undefined;
  const waiting = new Map<string, string>();
  // Opened only for a wait: a container event of this node ends a pause early.
  const wake = pending.size > 0 && pending.size <= WAKE_MAX_SERVICES ? wakeOnContainerEvents(docker, opts.instance) : undefined;
  let quick = 0;
  try {
    while (pending.size > 0 && Date.now() < deadline) {
      let started = Date.now();
      const state = await readWatched(docker, opts.instance, [...pending.keys()]);
      const now = progressKey(state);
      if (opts.onProgress && now !== seen) {
        const live = await readLive(docker, opts.instance);
        const reading = Date.now() - started;
        await opts.onProgress(live);
        started = Date.now() - reading;
      }
      seen = now;
      for (const [name, w] of pending) {
        const service = state.services.find((s) => s.name === name);
        if (!service) {
          out.set(w.site, `service ${name} disappeared while converging`);
          pending.delete(name);
          continue;
        }
        if (nodes === undefined && needsNodes(service, state.tasks)) nodes = new Map((await readNodes(docker)).map((n) => [n.id, n]));
        const verdict = evaluateService(service, state.tasks, { replicas: w.spec.shape.replicas }, nodes);
        if (verdict.state === "converged") pending.delete(name);
        if (verdict.state === "progressing" && verdict.waiting) waiting.set(name, verdict.waiting);
        if (verdict.state === "failed") {
          out.set(w.site, `service ${name}: ${verdict.reason}`);
          pending.delete(name);
          if (service.updateState !== null && service.updateState.startsWith("rollback_")) {
            rolledBack.push({ site: w.site, name, specHash: w.spec.labels[LABEL.specHash] ?? "", reason: verdict.reason });
          }
        }
      }
      reportConverging(opts, watch, pending);
      if (pending.size === 0) continue;
      // At least as long as the reads took (not the routing's VCL load): on a starved engine,
      // polling never takes more than half of its time. Quick reads for a moment after an event.
      const gap = Math.max(quick > 0 ? QUICK_READ_MS : (opts.pollMs ?? CONVERGENCE_POLL_MS), Date.now() - started);
      quick = Math.max(0, quick - 1);
      if (wake === undefined) await sleep(gap);
      else if (await wake.pause(gap)) quick = QUICK_READS;
    }
  } finally {
    wake?.close();
  }
  for (const [name, w] of pending) {
    const why = waiting.get(name);
    out.set(w.site, out.get(w.site) ?? `service ${name} did not converge within ${opts.timeoutSeconds}s${why ? ` (${why})` : ""}`);
  }
  return { failures: out, rolledBack };
}

/**
 * What the routing cares about in the watched services: their tasks' states and their update
 * states. Equal keys mean nothing moved since the last tick. Pure.
 */
export function progressKey(state: WatchedState): string {
  const services = state.services.map((s) => `${s.id}:${s.updateState ?? ""}`).sort();
  const tasks = state.tasks.map((t) => `${t.id}:${t.state}:${t.desiredState}`).sort();
  return `${services.join(",")}|${tasks.join(",")}`;
}

function reportConverging(opts: WaitOptions, watch: readonly Watched[], pending: ReadonlyMap<string, Watched>): void {
  if (!opts.onConverging) return;
  const c = convergingCount(watch, [...pending.values()]);
  opts.onConverging(c.done, c.total);
}

/**
 * Sites, not services: an operator counts sites ("converging 37/100 sites"); a site is done
 * when none of its changed services is still pending (the instance's shared objects count as one). Pure.
 */
export function convergingCount(watch: readonly Watched[], pending: readonly Watched[]): { done: number; total: number } {
  const sites = new Set(watch.map((w) => w.site ?? ""));
  const busy = new Set(pending.map((w) => w.site ?? ""));
  return { done: sites.size - busy.size, total: sites.size };
}
