import Docker from "dockerode";

/**
 * The engine connection: DOCKER_HOST when set (unix:// or tcp://), else the local socket.
 * One place, so the CLI, the daemon and the tests all talk to the engine the same way.
 */
export function connectDocker(host: string | undefined = process.env.DOCKER_HOST): Docker {
  if (!host) return new Docker({ socketPath: "/var/run/docker.sock" });
  if (host.startsWith("unix://")) return new Docker({ socketPath: host.slice("unix://".length) });
  const url = new URL(host.replace(/^tcp:/, "http:"));
  return new Docker({ host: url.hostname, port: Number(url.port || 2375), protocol: "http" });
}

/** Errors from the engine carry an HTTP status and a JSON message; make that readable. */
export function engineMessage(err: unknown): string {
  if (err && typeof err === "object") {
    const e = err as { statusCode?: number; json?: { message?: string } | null; message?: string };
    if (e.json && typeof e.json.message === "string") return e.json.message;
    if (typeof e.message === "string") return e.message.replace(/^\(HTTP code \d+\) [a-z ]+ - /, "");
  }
  return String(err);
}

export function engineStatus(err: unknown): number | undefined {
  if (err && typeof err === "object" && "statusCode" in err) {
    const code = (err as { statusCode?: unknown }).statusCode;
    return typeof code === "number" ? code : undefined;
  }
  return undefined;
}
