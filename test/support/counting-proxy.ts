import http from "node:http";
import net from "node:net";
import { mkdtempSync } from "node:fs";
import os from "node:os";
import path from "node:path";

export interface CountingProxy {
  /** Path of the proxy's unix socket: point dockerode (or DOCKER_HOST) at it. */
  readonly socketPath: string;
  /** Every request seen, as "METHOD /path" without the API version prefix or query. */
  readonly requests: string[];
  /** When each request of `requests` was sent and answered (performance.now() ms), in the same order. */
  readonly timeline: { readonly request: string; readonly startMs: number; endMs: number }[];
  mutating(): string[];
  reset(): void;
  close(): Promise<void>;
}

/**
 * A unix-socket proxy in front of the engine that records every API call: the real engine
 * still answers, the count is what crossed the wire (not what the code meant to do).
 */
export async function startCountingProxy(target = "/var/run/docker.sock"): Promise<CountingProxy> {
  const socketPath = path.join(mkdtempSync(path.join(os.tmpdir(), "simulium-proxy-")), "docker.sock");
  const requests: string[] = [];
  const timeline: { request: string; startMs: number; endMs: number }[] = [];
  const server = http.createServer((req, res) => {
    const url = (req.url ?? "").replace(/^\/v[0-9.]+/, "").split("?")[0];
    requests.push(`${req.method} ${url}`);
    const timing = { request: `${req.method} ${url}`, startMs: performance.now(), endMs: Number.NaN };
    timeline.push(timing);
    res.on("finish", () => (timing.endMs = performance.now()));
    const upstream = http.request({ socketPath: target, path: req.url, method: req.method, headers: req.headers }, (up) => {
      res.writeHead(up.statusCode ?? 502, up.headers);
      up.pipe(res);
    });
    upstream.on("error", (err) => {
      res.writeHead(502);
      res.end(String(err));
    });
    // A client that goes away (or is closed by close()) takes its upstream call with it,
    // or an endless stream such as Docker events would hold the engine connection open.
    res.on("close", () => upstream.destroy());
    req.pipe(upstream);
  });
  // Hijacked connections (attach/exec) are not needed by the code under count.
  server.on("upgrade", (_req, socket: net.Socket) => socket.destroy());
  await new Promise<void>((resolve) => server.listen(socketPath, resolve));
  return {
    socketPath,
    requests,
    timeline,
    mutating: () => requests.filter((r) => !r.startsWith("GET ") && !r.startsWith("HEAD ")),
    reset: () => {
      requests.length = 0;
      timeline.length = 0;
    },
    // Long-lived streams (the Docker events a daemon watches) would keep close() waiting forever.
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
