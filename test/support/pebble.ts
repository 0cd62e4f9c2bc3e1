import { ChildProcess, execFileSync, spawn } from "node:child_process";
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
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

/**
 * A DNS-01 hook as an operator writes one (docs/tls.md), written to `file`: it sets and clears
 * TXT records in the challenge test server's DNS through its API, as a real hook would through
 * a DNS provider's. Every call is appended to `log` (argv, then the environment); `failFor`
 * names a domain whose `present` fails like a provider that does not host the zone.
 */
export function writeDnsHook(pebble: Pick<Pebble, "dnsManagement">, file: string, opts: { readonly log: string; readonly failFor?: string }): string {
  writeFileSync(
    file,
    `#!/bin/sh
set -eu
echo "$1 $2 $3 $SIMULIUM_DNS_ACTION $SIMULIUM_DNS_DOMAIN $SIMULIUM_DNS_RECORD $SIMULIUM_DNS_VALUE" >> ${JSON.stringify(opts.log)}
if [ "$2" = "${opts.failFor ?? ""}" ]; then echo "provider says: zone not found" >&2; exit 3; fi
case "$1" in
  present) curl -fsS -X POST -d "{\\"host\\":\\"$SIMULIUM_DNS_RECORD.\\",\\"value\\":\\"$SIMULIUM_DNS_VALUE\\"}" ${pebble.dnsManagement}/set-txt ;;
  cleanup) curl -fsS -X POST -d "{\\"host\\":\\"$SIMULIUM_DNS_RECORD.\\"}" ${pebble.dnsManagement}/clear-txt ;;
esac
`,
  );
  chmodSync(file, 0o755);
  return file;
}

export interface PebbleOptions {
  /** External account binding required, with these key ids and HMAC keys (base64url). */
  readonly eabKeys?: Readonly<Record<string, string>>;
  /** How long the certificates it issues are valid (Pebble's certificateValidityPeriod); default Pebble's (5 years). */
  readonly validitySeconds?: number;
}

export async function startPebble(httpPort: number, env: Readonly<Record<string, string>> = {}, opts: PebbleOptions = {}): Promise<Pebble> {
  // A port freePort handed out can be taken by another process before Pebble binds it (CI saw
  // a Pebble that never answered): a start that fails is tried again on new ports.
  let failure: unknown;
  for (let attempt = 1; attempt <= 3; attempt++) {
    try {
      return await startPebbleOnce(httpPort, env, opts);
    } catch (err) {
      failure = err;
      process.stderr.write(`[pebble] start ${attempt} of 3 failed: ${(err as Error).message}\n`);
    }
  }
  throw failure;
}

async function startPebbleOnce(httpPort: number, env: Readonly<Record<string, string>>, opts: PebbleOptions): Promise<Pebble> {
  const dir = mkdtempSync(path.join(os.tmpdir(), "simulium-pebble-"));
  // Five different ports: two calls of freePort may return the same one.
  const ports = new Set<number>();
  while (ports.size < 5) ports.add(await freePort());
  const [acmePort, mgmtPort, dnsPort, ctsPort, tlsPort] = [...ports] as [number, number, number, number, number];
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
        tlsPort,
        ocspResponderURL: "",
        externalAccountBindingRequired: opts.eabKeys !== undefined,
        ...(opts.eabKeys !== undefined ? { externalAccountMACKeys: opts.eabKeys } : {}),
        ...(opts.validitySeconds !== undefined ? { certificateValidityPeriod: opts.validitySeconds } : {}),
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
    await waitFor(() => get(directory).catch(() => undefined), `pebble at ${directory}`, 20_000, 200);
  } catch (err) {
    procs.forEach((p) => p.kill());
    rmSync(dir, { recursive: true, force: true });
    // The log as it is now, not as it was when the wait began (empty).
    const exited = procs.filter((p) => p.exitCode !== null).map((p) => `${p.spawnfile} exited ${p.exitCode}`);
    throw new Error(`${(err as Error).message}${exited.length > 0 ? ` (${exited.join(", ")})` : ""}; its log: ${log.join("").slice(-2000).trim() || "(empty)"}`);
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
