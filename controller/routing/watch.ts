import type Docker from "dockerode";
import { JOB_ROLE, LABEL } from "../desired/labels";

export interface RoutingWatch {
  stop(): void;
}

export interface WatchOptions {
  /** Quiet time before onChange, so a rolling update's burst of events gives one sync. Default 500 ms. */
  readonly debounceMs?: number;
  /** Wait before reconnecting after the event stream fails or ends. Default 1 s. */
  readonly reconnectMs?: number;
  readonly onError?: (err: Error) => void;
}

/**
 * Calls onChange (debounced) whenever a task container of this instance's services (web,
 * db, varnish, …) starts, stops or dies: task IPs change then, so the VCL's backends must
 * follow. Job containers (exec, crons, backups) are ignored: they route nothing, and a busy
 * cron would otherwise cause a routing sync per run. The stream is reopened on error, and
 * onChange fires once after each reconnect since events may have been missed meanwhile.
 */
export function watchRouting(docker: Docker, instance: string, onChange: () => void, opts: WatchOptions = {}): RoutingWatch {
  // Short: a rolling update's container events come one task at a time, and each new task
  // serves only once the VCL lists it.
  const debounceMs = opts.debounceMs ?? 250;
  const reconnectMs = opts.reconnectMs ?? 1000;
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let stream: NodeJS.ReadableStream | undefined;
  let reconnects = 0;

  const trigger = () => {
    if (timer) clearTimeout(timer);
    timer = setTimeout(() => {
      timer = undefined;
      if (!stopped) onChange();
    }, debounceMs);
  };

  const open = async (): Promise<void> => {
    try {
      // The engine's filters cannot negate (role != job): jobs are told apart in movesRouting.
      stream = await docker.getEvents({
        // health_status too: a container with a healthcheck starts before its task runs (Swarm
        // says "starting" until the check passes), so the sync on "start" leaves it out of the
        // VCL and, without the health event, nothing would put it back in until the next resync.
        filters: { type: ["container"], event: ["start", "die", "stop", "health_status"], label: [`${LABEL.instance}=${instance}`] },
      });
    } catch (err) {
      return retry(err);
    }
    if (stopped) return destroy(stream);
    if (reconnects++ > 0) trigger();
    let buffered = "";
    stream.on("data", (chunk: Buffer) => {
      buffered += chunk.toString("utf8");
      const lines = buffered.split("\n");
      buffered = lines.pop() ?? "";
      if (lines.some(movesRouting)) trigger();
    });
    const current = stream;
    // error and end can both fire for one failure: reconnect once.
    stream.on("error", (err: Error) => current === stream && retry(err));
    stream.on("end", () => current === stream && retry(new Error("Docker event stream ended")));
  };

  const retry = (err: unknown) => {
    if (stopped) return;
    opts.onError?.(err instanceof Error ? err : new Error(String(err)));
    if (stream) destroy(stream);
    stream = undefined;
    setTimeout(() => void open(), reconnectMs);
  };

  void open();
  return {
    stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      if (stream) destroy(stream);
    },
  };
}

/**
 * One line of the event stream: an event of a service's task container (its container carries
 * the task labels, simulium.role among them), not of a job's. Pure.
 */
export function movesRouting(line: string): boolean {
  if (line.trim() === "") return false;
  let event: { Actor?: { Attributes?: Record<string, string> } };
  try {
    event = JSON.parse(line) as typeof event;
  } catch {
    // Not an event we can read: a sync too many is harmless, a missed one is not.
    return true;
  }
  const role = event.Actor?.Attributes?.[LABEL.role];
  return role !== undefined && role !== JOB_ROLE;
}

function destroy(stream: NodeJS.ReadableStream): void {
  stream.removeAllListeners();
  (stream as NodeJS.ReadableStream & { destroy?: () => void }).destroy?.();
}
