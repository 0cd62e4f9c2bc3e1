import type Docker from "dockerode";
import { LABEL } from "../desired/labels";

/**
 * Wakes a polling loop on this node's container events of one instance: a task container
 * started, died, or its health changed. Swarm counts a health-checked task running once its
 * first check passes, and a loop sleeping its full interval would see it up to that interval
 * late. Events of other nodes never arrive here, so the loop keeps polling on its interval:
 * this only ever shortens a wait. Never throws, never delays: until the stream is open (or if
 * it never opens), a pause is a plain sleep.
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

/**
 * Opens the stream in the background: the engine answers with its headers at once, but a
 * proxy in front of it may hold them until the first event, which might never come (an update
 * whose image does not exist starts no container). The wait must not wait for it.
 */
export function wakeOnContainerEvents(docker: Docker, instance: string, settleMs = EVENT_SETTLE_MS): EventWake {
  let pending = false;
  let closed = false;
  let wake: (() => void) | undefined;
  let stream: NodeJS.ReadableStream | undefined;
  // health_status is sent only when a container's health changes, not on every check.
  docker.getEvents({ filters: { type: ["container"], event: ["start", "die", "health_status"], label: [`${LABEL.instance}=${instance}`] } }).then(
    (opened) => {
      if (closed) return destroy(opened);
      stream = opened;
      opened.on("data", () => {
        pending = true;
        wake?.();
      });
      opened.on("error", () => undefined);
    },
    // A refused stream leaves plain sleeps.
    () => undefined,
  );
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
      closed = true;
      wake = undefined;
      if (stream !== undefined) destroy(stream);
    },
  };
}

function destroy(stream: NodeJS.ReadableStream): void {
  stream.removeAllListeners("data");
  stream.on("error", () => undefined);
  (stream as NodeJS.ReadableStream & { destroy?: () => void }).destroy?.();
}
