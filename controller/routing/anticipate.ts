import type { LiveState, LiveTask } from "../live/types";

/**
 * The live states routing may see once the starting tasks run: every task Swarm is starting
 * (desired running, its container up, its health check not passed yet) counted as running at
 * the address it already has; first beside the task it replaces (the same service's slot, or
 * node for a global service), then without it, as Swarm marks the old one for shutdown as soon
 * as its replacement runs (a start-first update). What routing/sync.ts prepareRouting compiles
 * ahead from, so the VCL that routes a new task is ready when Swarm reports it running. Empty
 * when no task is starting, or more than `maxStarting`. Pure.
 */
export function anticipateStarting(live: LiveState, maxStarting = Infinity): LiveState[] {
  if (live.taskScope === "plan") return [];
  const starting = live.tasks.filter(isStarting);
  if (starting.length === 0 || starting.length > maxStarting) return [];
  const beside = { ...live, tasks: live.tasks.map((t) => (isStarting(t) ? running(t) : t)) };
  const replaced = new Set(live.tasks.filter((t) => t.state === "running" && t.desiredState === "running" && starting.some((s) => replaces(s, t))).map((t) => t.id));
  if (replaced.size === 0) return [beside];
  return [beside, { ...beside, tasks: beside.tasks.filter((t) => !replaced.has(t.id)) }];
}

const isStarting = (t: LiveTask): boolean => t.state === "starting" && t.desiredState === "running" && Object.keys(t.addresses).length > 0;

/** `next` takes `old`'s place: another task of the same service in the same slot (replicated) or on the same node (global). */
const replaces = (next: LiveTask, old: LiveTask): boolean =>
  next.id !== old.id && next.serviceId === old.serviceId && (next.slot !== null ? next.slot === old.slot : next.nodeId !== null && next.nodeId === old.nodeId);

/** A copy by property descriptors: a read task's fingerprint is a getter, hashed only if read (live/read.ts taskFromApi). */
function running(t: LiveTask): LiveTask {
  return Object.create(Object.getPrototypeOf(t) as object, { ...Object.getOwnPropertyDescriptors(t), state: { value: "running", enumerable: true } }) as LiveTask;
}
