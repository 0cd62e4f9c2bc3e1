import type Docker from "dockerode";
import { deferModule, ModuleCache } from "./defer-module";

/**
 * dockerode, with what it loads for BuildKit sessions and SSH connections deferred to their
 * first use (engine/defer-module.ts): neither is ever used, and they were 140 ms of CPU on
 * every start of the CLI. require.cache's entries are Modules; the stand-in needs only
 * `exports` of one, which is all Node reads of a cached entry's.
 */
function loadDockerode(): typeof Docker {
  const cache = require.cache as ModuleCache;
  const from = { paths: [require.resolve("dockerode")] };
  deferModule(require.resolve("dockerode/lib/session", from), cache, require);
  deferModule(require.resolve("docker-modem/lib/ssh", { paths: [require.resolve("docker-modem", from)] }), cache, require);
  return require("dockerode") as typeof Docker;
}

/** Loaded on the first connection: a module importing this file for engineMessage pays nothing. */
let dockerode: typeof Docker | undefined;

/**
 * The engine connection: DOCKER_HOST when set (unix:// or tcp://), else the local socket.
 * One place, so the CLI, the daemon and the tests all talk to the engine the same way.
 */
export function connectDocker(host: string | undefined = process.env.DOCKER_HOST): Docker {
  const Docker = (dockerode ??= loadDockerode());
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
