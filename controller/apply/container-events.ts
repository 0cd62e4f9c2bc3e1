import type Docker from "dockerode";
import { LABEL } from "../desired/labels";

/**
 * Wakes a polling loop on this node's container events of one instance: a task container
 * started, died, or its health changed. Swarm counts a health-checked task running once its
 * first check passes, and a loop sleeping its full interval would see it up to that interval
 * late. Events of other nodes never arrive here, so the loop keeps polling on its interval:
 * this only ever shortens a wait. Never throws: without a stream, a pause is a sleep.
 */
export interface EventWake {
  /**
   * Resolves after `ms`, or `settleMs` after an event that comes first (or came since the
   * last pause); true when an event woke it.
   */
  pause(ms: number): Promise<boolean>;
  close(): void;
}

/** The engine's agent records a task's new state a moment after its container's event. */
export const EVENT_SETTLE_MS = 30;

export async function wakeOnContainerEvents(docker: Docker, instance: string, settleMs = EVENT_SETTLE_MS): Promise<EventWake> {
  let pending = false;
  let wake: (() => void) | undefined;
  let stream: NodeJS.ReadableStream | undefined;
  try {
    // health_status is sent only when a container's health changes, not on every check.
    stream = await docker.getEvents({ filters: { type: ["container"], event: ["start", "die", "health_status"], label: [`${LABEL.instance}=${instance}`] } });
    stream.on("data", () => {
      pending = true;
      wake?.();
    });
    // A failed stream leaves plain sleeps.
    stream.on("error", () => undefined);
  } catch {
    stream = undefined;
  }
  return {
    pause: (ms) =>
      new Promise((resolve) => {
        let timer: NodeJS.Timeout;
        const woken = (): void => {
          clearTimeout(timer);
          wake = undefined;
          pending = false;
          timer = setTimeout(() => resolve(true), settleMs);
        };
        if (pending) return woken();
        wake = woken;
        timer = setTimeout(() => {
          wake = undefined;
          resolve(false);
        }, ms);
      }),
    close: () => {
      wake = undefined;
      if (stream === undefined) return;
      stream.removeAllListeners("data");
      (stream as NodeJS.ReadableStream & { destroy?: () => void }).destroy?.();
    },
  };
}
