import { ChildProcess, execFileSync, spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { request as httpsRequest } from "node:https";
import { request as httpRequest } from "node:http";
import os from "node:os";
import path from "node:path";
import { freePort } from "../harness/http";
import { waitFor } from "./swarm";

/**
 * Let's Encrypt's test CA (Debian's pebble) and its challenge test server as a DNS server,
 * both on loopback only. The DNS answers nothing by default: a test names the hosts that
 * resolve (to 127.0.0.1), so any other name fails validation without a packet leaving the
 * machine. Pebble validates HTTP-01 on `httpPort` (Varnish's published port).
 */
export interface Pebble {
  readonly directory: string;
  /** Signs Pebble's own HTTPS listener: the controller's spec.tls.acme.caFile. */
  readonly listenerCaFile: string;
  /** The root that issues the certificates (a fresh one per Pebble start). */
  root(): Promise<string>;
  /** Makes `host` resolve to 127.0.0.1. */
  resolve(host: string): Promise<void>;
  /** The challenge test server's management API (POST /set-txt, /clear-txt): what a DNS hook in a test calls. */
  readonly dnsManagement: string;
  /** Its DNS server (host:port), where Pebble looks DNS-01 records up. */
  readonly dnsServer: string;
  stop(): Promise<void>;
}

export interface PebbleOptions {
  /** External account binding required, with these key ids and HMAC keys (base64url). */
  readonly eabKeys?: Readonly<Record<string, string>>;
}

export async function startPebble(httpPort: number, env: Readonly<Record<string, string>> = {}, opts: PebbleOptions = {}): Promise<Pebble> {
  const dir = mkdtempSync(path.join(os.tmpdir(), "simulium-pebble-"));
  const [acmePort, mgmtPort, dnsPort, ctsPort] = [await freePort(), await freePort(), await freePort(), await freePort()];
  const listenerCaFile = path.join(dir, "listener.pem");
  const key = path.join(dir, "listener.key");
  execFileSync("openssl", ["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", key, "-out", listenerCaFile, "-days", "2", "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"], { stdio: "ignore" });
  const config = path.join(dir, "pebble.json");
  writeFileSync(
    config,
    JSON.stringify({
      pebble: {
        listenAddress: `127.0.0.1:${acmePort}`,
        managementListenAddress: `127.0.0.1:${mgmtPort}`,
        certificate: listenerCaFile,
        privateKey: key,
        httpPort,
        tlsPort: await freePort(),
        ocspResponderURL: "",
        externalAccountBindingRequired: opts.eabKeys !== undefined,
        ...(opts.eabKeys !== undefined ? { externalAccountMACKeys: opts.eabKeys } : {}),
      },
    }),
  );
  const procs: ChildProcess[] = [];
  const log: string[] = [];
  const track = (p: ChildProcess): void => {
    p.stdout?.on("data", (b: Buffer) => log.push(b.toString()));
    p.stderr?.on("data", (b: Buffer) => log.push(b.toString()));
    procs.push(p);
  };
  const stdio: ["ignore", "pipe", "pipe"] = ["ignore", "pipe", "pipe"];
  track(spawn("pebble-challtestsrv", ["-defaultIPv4", "", "-defaultIPv6", "", "-dns01", `127.0.0.1:${dnsPort}`, "-http01", "", "-https01", "", "-tlsalpn01", "", "-management", `127.0.0.1:${ctsPort}`], { stdio }));
  track(
    spawn("pebble", ["-config", config, "-dnsserver", `127.0.0.1:${dnsPort}`], {
      env: { ...process.env, PEBBLE_VA_NOSLEEP: "1", PEBBLE_WFE_NONCEREJECT: "0", PEBBLE_AUTHZREUSE: "0", ...env },
      stdio,
    }),
  );
  const ca = (): Buffer => readFileSync(listenerCaFile);
  const get = (url: string): Promise<string> =>
    new Promise((resolve, reject) => {
      const req = httpsRequest(url, { ca: ca(), agent: false }, (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () => (res.statusCode === 200 ? resolve(Buffer.concat(chunks).toString()) : reject(new Error(`${url}: ${res.statusCode}`))));
      });
      req.on("error", reject);
      req.end();
    });
  const directory = `https://127.0.0.1:${acmePort}/dir`;
  try {
    await waitFor(() => get(directory).catch(() => undefined), `pebble at ${directory} (log: ${log.join("")})`, 20_000, 200);
  } catch (err) {
    procs.forEach((p) => p.kill());
    throw err;
  }
  return {
    directory,
    listenerCaFile,
    root: () => get(`https://127.0.0.1:${mgmtPort}/roots/0`),
    dnsManagement: `http://127.0.0.1:${ctsPort}`,
    dnsServer: `127.0.0.1:${dnsPort}`,
    resolve: (host) =>
      new Promise((resolve, reject) => {
        const req = httpRequest({ host: "127.0.0.1", port: ctsPort, path: "/add-a", method: "POST", agent: false }, (res) => {
          res.resume();
          res.on("end", () => (res.statusCode === 200 ? resolve() : reject(new Error(`add-a ${host}: ${res.statusCode}`))));
        });
        req.on("error", reject);
        req.end(JSON.stringify({ host, addresses: ["127.0.0.1"] }));
      }),
    stop: async () => {
      await Promise.all(
        procs.map(
          (p) =>
            new Promise<void>((resolve) => {
              if (p.exitCode !== null) return resolve();
              p.once("exit", () => resolve());
              p.kill("SIGTERM");
            }),
        ),
      );
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
