import type Docker from "dockerode";
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { connect } from "node:tls";
import pino from "pino";
import { startDaemon } from "../controller/daemon/daemon";
import { freePort } from "../test/harness/http";
import { clusterYaml, siteYaml } from "../test/support/manifests";
import { startPebble } from "../test/support/pebble";
import { createForge } from "./forge";
import { TLS_PHASES, TlsIssueResult, TlsIssueSample, tlsIssueStats, TlsPhase } from "./tls-issue-types";

/** The daemon's log lines of the steps figure 9 breaks a sample into, with when they came. */
function stepLog(): { readonly logger: pino.Logger; since(start: bigint): Partial<Record<TlsPhase, number>> } {
  const seen: { phase: TlsPhase; at: bigint }[] = [];
  const byMsg = new Map<string, TlsPhase>(Object.entries(TLS_PHASES).map(([k, v]) => [v, k as TlsPhase]));
  const logger = pino(
    { level: "info" },
    {
      write(line: string): void {
        const phase = byMsg.get((JSON.parse(line) as { msg?: string }).msg ?? "");
        if (phase !== undefined) seen.push({ phase, at: process.hrtime.bigint() });
      },
    },
  );
  return {
    logger,
    since(start) {
      const out: Partial<Record<TlsPhase, number>> = {};
      for (const s of seen) if (s.at >= start && out[s.phase] === undefined) out[s.phase] = Number(s.at - start) / 1e9;
      return out;
    },
  };
}
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const PROBE_GAP_MS = 50;

/**
 * One TLS handshake through hitch on loopback for `host` (SNI), trusting only `ca`: resolves
 * when the certificate served verifies against it and covers the name (Node checks both).
 */
function verifiedHandshake(port: number, host: string, ca: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: "127.0.0.1", port, servername: host, ca, timeout: 2000 }, () => {
      const cert = socket.getPeerX509Certificate();
      socket.destroy();
      if (cert?.checkHost(host) === host) resolve();
      else reject(new Error(`the certificate served does not cover ${host}`));
    });
    socket.on("timeout", () => socket.destroy(new Error("handshake timed out")));
    socket.on("error", reject);
  });
}

async function firstVerified(port: number, host: string, ca: string, start: bigint, timeoutMs: number): Promise<{ seconds: number; probes: number } | { error: string; probes: number }> {
  const elapsed = (): number => Number(process.hrtime.bigint() - start) / 1e9;
  let probes = 0;
  let last = "no handshake yet";
  while (elapsed() * 1000 < timeoutMs) {
    probes++;
    try {
      await verifiedHandshake(port, host, ca);
      return { seconds: elapsed(), probes };
    } catch (err) {
      // Another site's certificate, or none yet: the state being measured.
      last = err instanceof Error ? err.message : String(err);
    }
    await sleep(PROBE_GAP_MS);
  }
  return { error: `no valid certificate for ${host} after ${Math.round(timeoutMs / 1000)} s (last: ${last})`, probes };
}

export interface TlsIssueInput {
  readonly docker: Docker;
  readonly instance: string;
  readonly samples: number;
  readonly timeoutMs: number;
  readonly log: (msg: string) => void;
}

/**
 * Figure 9: the daemon (in process, git source, webhook only, as figure 3) runs one site with
 * HTTPS from Pebble on loopback, behind hitch and Varnish. Each sample commits the site's
 * manifest with one more domain, pushes, announces the push, and times until a handshake
 * through hitch for the new name verifies against Pebble's root. Pebble validates HTTP-01 for
 * real, against Varnish on loopback (its DNS resolves the bench's names to 127.0.0.1), without
 * its default random wait of up to 5 s before each validation (PEBBLE_VA_NOSLEEP).
 */
export async function tlsIssue(input: TlsIssueInput): Promise<TlsIssueResult> {
  const loadStart = os.loadavg();
  const root = mkdtempSync(path.join(os.tmpdir(), "simulium-bench-tls-"));
  const [httpPort, httpsPort] = [await freePort(), await freePort()];
  const pebble = await startPebble(httpPort);
  const site = `${input.instance}-a`;
  const domains = [`www.${site}.test`];
  try {
    for (const d of domains) await pebble.resolve(d);
    const forge = createForge(root);
    const cluster = clusterYaml(
      input.instance,
      `  varnish: {image: "simulium/varnish:local", port: ${httpPort}}
  tls:
    image: "simulium/tls:local"
    port: ${httpsPort}
    acme: {directory: "${pebble.directory}", email: "ops@example.org", caFile: "${pebble.listenerCaFile}", checkDns: false}
`,
    );
    const manifest = (): { path: string; text: string } => ({ path: `sites/${site}.yaml`, text: siteYaml(site, { domains, volumes: false, replicas: 1 }) });
    forge.commit([{ path: "simulium.yaml", text: cluster }, manifest()], "one site with https");
    const steps = stepLog();
    const daemon = await startDaemon({
      repo: forge.url,
      branch: "main",
      stateDir: path.join(root, "state"),
      listen: { host: "127.0.0.1", port: 0 },
      webhookSecretFile: forge.secretFile,
      pollSeconds: 3600,
      resyncSeconds: 3600,
      log: steps.logger,
      docker: input.docker,
    });
    const samples: TlsIssueSample[] = [];
    try {
      await daemon.idle();
      const ca = await pebble.root();
      // Every sample starts with the daemon idle (it waits for the end of each pass), never
      // inside the previous reconcile.
      const ready = await firstVerified(httpsPort, domains[0]!, ca, process.hrtime.bigint(), input.timeoutMs);
      if ("error" in ready) throw new Error(`before the first sample: ${ready.error}`);
      for (let i = 1; i <= input.samples; i++) {
        const domain = `n${i}.${site}.test`;
        await pebble.resolve(domain);
        domains.push(domain);
        const start = process.hrtime.bigint();
        forge.commit([manifest()], `${site}: add ${domain}`);
        const accepted = await forge.announce(daemon.port);
        if (accepted !== 202) throw new Error(`webhook answered ${accepted}`);
        const served = await firstVerified(httpsPort, domain, ca, start, input.timeoutMs);
        // The steps once the pass is over: hitch can serve the new certificate before the
        // controller has seen its delivery job end.
        await daemon.idle();
        const base = { domain, names: domains.length, phases: steps.since(start) };
        samples.push("error" in served ? { ...base, ok: false, seconds: 0, probes: served.probes, error: served.error } : { ...base, ok: true, ...served });
        input.log(`${domain}: ${"error" in served ? served.error : `valid certificate served after ${served.seconds.toFixed(2)} s`}`);
      }
    } finally {
      await daemon.stop();
    }
    return { samples, ...tlsIssueStats(samples), loadAverage: { start: loadStart, end: os.loadavg() } };
  } finally {
    await pebble.stop();
    rmSync(root, { recursive: true, force: true });
  }
}
