import { createServer, IncomingMessage, Server } from "node:http";
import type { AddressInfo } from "node:net";
import Docker from "dockerode";
import { demuxLogs } from "../../../controller/engine/log-frames";
import { createService } from "../../../controller/engine/services";

/**
 * engine/services.ts declares dockerode's service calls as they behave at run time (registry
 * credentials first, logs as one buffer): checked against a local HTTP server standing in for
 * the engine's API, so a dockerode whose calls changed fails here, not in a deploy.
 */
describe("engine/services: dockerode's service calls as declared", () => {
  const seen: { method: string; url: string; auth: string | undefined; body: string }[] = [];
  let server: Server;
  let docker: Docker;

  const frame = (stream: 1 | 2, text: string): Buffer => {
    const head = Buffer.alloc(8);
    head.writeUInt8(stream, 0);
    head.writeUInt32BE(Buffer.byteLength(text), 4);
    return Buffer.concat([head, Buffer.from(text)]);
  };
  const read = (req: IncomingMessage): Promise<string> =>
    new Promise((resolve) => {
      let body = "";
      req.on("data", (c: Buffer) => (body += c.toString()));
      req.on("end", () => resolve(body));
    });

  beforeAll(async () => {
    server = createServer((req, res) => {
      void read(req).then((body) => {
        const auth = req.headers["x-registry-auth"];
        seen.push({ method: req.method ?? "", url: req.url ?? "", auth: typeof auth === "string" ? auth : undefined, body });
        if (req.url?.startsWith("/services/create")) {
          res.writeHead(201, { "content-type": "application/json" }).end(JSON.stringify({ ID: "svc-1" }));
        } else if (req.url?.includes("/logs")) {
          res.writeHead(200, { "content-type": "application/vnd.docker.raw-stream" }).end(Buffer.concat([frame(1, "out\n"), frame(2, "err\n")]));
        } else {
          res.writeHead(200, { "content-type": "application/json" }).end("{}");
        }
      });
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    docker = new Docker({ host: "127.0.0.1", port: (server.address() as AddressInfo).port, protocol: "http" });
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));
  beforeEach(() => (seen.length = 0));

  it("creates with the registry credentials as X-Registry-Auth, the spec as the body, and returns the ID", async () => {
    const auth = { username: "u", password: "p", serveraddress: "registry.example" };
    expect(await createService(docker, auth, { Name: "acme_web" })).toBe("svc-1");
    expect(seen).toHaveLength(1);
    expect(JSON.parse(Buffer.from(seen[0]?.auth ?? "", "base64").toString())).toEqual(auth);
    expect(JSON.parse(seen[0]?.body ?? "")).toEqual({ Name: "acme_web" });
  });

  it("creates without credentials: no X-Registry-Auth header at all", async () => {
    expect(await createService(docker, undefined, { Name: "relay" })).toBe("svc-1");
    expect(seen[0]?.auth).toBeUndefined();
    expect(JSON.parse(seen[0]?.body ?? "")).toEqual({ Name: "relay" });
  });

  it("updates with the credentials first and the version in the query", async () => {
    await docker.getService("svc-1").update({ serveraddress: "registry.example" }, { Name: "acme_web", version: 7 });
    expect(seen[0]?.url).toMatch(/^\/services\/svc-1\/update\?.*version=7/);
    expect(JSON.parse(Buffer.from(seen[0]?.auth ?? "", "base64").toString())).toEqual({ serveraddress: "registry.example" });
  });

  it("reads logs without follow as one buffer of frames", async () => {
    const logs = await docker.getService("svc-1").logs({ stdout: true, stderr: true, follow: false });
    expect(Buffer.isBuffer(logs)).toBe(true);
    expect(demuxLogs(logs)).toBe("out\nerr\n");
  });
});
