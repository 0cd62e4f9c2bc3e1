import { request } from "node:http";
import { createServer } from "node:net";

export interface HttpResponse {
  readonly status: number;
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  readonly body: string;
}

/** A plain HTTP GET without keep-alive (each call sees whichever task answers now). */
export function httpGet(
  host: string,
  port: number,
  path = "/",
  headers: Readonly<Record<string, string>> = {},
  timeoutMs = 5_000,
): Promise<HttpResponse> {
  return new Promise((resolve, reject) => {
    const req = request({ host, port, path, headers, method: "GET", agent: false, timeout: timeoutMs }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (chunk: Buffer) => chunks.push(chunk));
      res.on("end", () =>
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString("utf8") }),
      );
      res.on("error", reject);
    });
    req.on("timeout", () => req.destroy(new Error(`GET http://${host}:${port}${path} timed out after ${timeoutMs} ms`)));
    req.on("error", reject);
    req.end();
  });
}

/**
 * A TCP port free on every interface right now, for host-mode published ports (which bind
 * 0.0.0.0). Another process could take it before the service does; tests then fail visibly.
 */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on("error", reject);
    server.listen(0, "0.0.0.0", () => {
      const address = server.address();
      const port = typeof address === "object" && address !== null ? address.port : 0;
      server.close(() => (port > 0 ? resolve(port) : reject(new Error("no port assigned"))));
    });
  });
}
