/**
 * Figure 7, run as its own process: how long one site's task move takes to be live in Varnish
 * with N sites, the whole configuration in one VCL (before #20) against sites sharded into group VCLs (about 16 sites each), each under a
 * label (now). A real varnishd on loopback, compiling as the Varnish service does (-O0 -g0); the
 * sites' backends are a handful of loopback listeners. Prints one JSON line (RoutingScaleResult).
 *   node routing-scale.js <sites>
 */
import { readFileSync } from "node:fs";
import { createServer } from "node:http";
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import { loadVcl } from "../controller/varnish/load";
import { loadSplitVcl } from "../controller/varnish/load-split";
import { renderVcl } from "../controller/varnish/vcl";
import type { VclInput, VclSite } from "../controller/varnish/vcl";
import { renderSplitVcl } from "../controller/varnish/vcl-split";
import { startLocalVarnish } from "../test/support/varnishd";
import type { LocalVarnish } from "../test/support/varnishd";
import type { RoutingScaleResult } from "./routing-scale-types";

const LISTENERS = 4;

async function listeners(): Promise<{ servers: Server[]; ports: number[] }> {
  const servers: Server[] = [];
  const ports: number[] = [];
  for (let i = 0; i < LISTENERS + 1; i++) {
    const srv = createServer((req, res) => res.end(`L${i} ${req.headers.host ?? ""}`));
    await new Promise<void>((res) => srv.listen(0, "127.0.0.1", res));
    servers.push(srv);
    ports.push((srv.address() as AddressInfo).port);
  }
  return { servers, ports };
}

function input(n: number, ports: readonly number[], moved?: number): VclInput {
  const sites: VclSite[] = Array.from({ length: n }, (_, i) => ({
    name: `site-${i}`,
    domains: [`site-${i}.example.org`, `www.site-${i}.example.org`],
    backends: [{ host: "127.0.0.1", port: (i === moved ? ports[LISTENERS] : ports[i % LISTENERS]) ?? 0 }],
    healthcheck: { path: "/user/login", interval: 10, timeout: 5 },
    purgers: ["10.0.0.2"],
  }));
  return { sites, mode: "dnsrr" };
}

/** Resident memory of varnishd, manager and child (where every loaded VCL lives), in MB. */
function varnishRssMb(pid: number | undefined): number | null {
  if (pid === undefined) return null;
  const rss = (p: string): number => Number(/^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${p}/status`, "utf8"))?.[1] ?? 0);
  try {
    const children = readFileSync(`/proc/${pid}/task/${pid}/children`, "utf8").trim().split(/\s+/).filter((c) => c !== "");
    return [String(pid), ...children].reduce((sum, p) => sum + rss(p), 0) / 1024;
  } catch {
    return null;
  }
}

/** From the start of the load until Varnish answers for the moved site from its new listener. */
async function timeToLive(varnish: LocalVarnish, host: string, tag: string, load: () => Promise<unknown>): Promise<{ loadSeconds: number; liveSeconds: number }> {
  const start = process.hrtime.bigint();
  await load();
  const loadSeconds = Number(process.hrtime.bigint() - start) / 1e9;
  for (;;) {
    const r = await varnish.get(host).catch(() => ({ status: 0, body: "" }));
    if (r.body.startsWith(`${tag} `)) break;
    if (Number(process.hrtime.bigint() - start) / 1e9 > 120) throw new Error(`${host} never served from ${tag}: ${r.status} ${r.body.slice(0, 80)}`);
    await new Promise((res) => setTimeout(res, 10));
  }
  return { loadSeconds, liveSeconds: Number(process.hrtime.bigint() - start) / 1e9 };
}

async function main(): Promise<void> {
  const n = Number(process.argv[2]);
  if (!Number.isInteger(n) || n < 2) throw new Error("usage: routing-scale <sites>");
  const { servers, ports } = await listeners();
  const moved = Math.floor(n / 2);
  const host = `site-${moved}.example.org`;
  const tag = `L${LISTENERS}`;
  const seconds = (since: bigint): number => Number(process.hrtime.bigint() - since) / 1e9;

  // Before: one VCL with every site, recompiled whole on every change.
  let varnish = await startLocalVarnish(renderVcl({ sites: [], mode: "dnsrr" }));
  let wholeInitialSeconds: number;
  let whole: { loadSeconds: number; liveSeconds: number };
  let wholeRssMb: number | null;
  try {
    const admin = await varnish.admin();
    const t = process.hrtime.bigint();
    await loadVcl(admin, renderVcl(input(n, ports)));
    wholeInitialSeconds = seconds(t);
    whole = await timeToLive(varnish, host, tag, () => loadVcl(admin, renderVcl(input(n, ports, moved))));
    wholeRssMb = varnishRssMb(varnish.pid);
  } finally {
    await varnish.stop();
  }

  // Now: group VCLs under labels (vcl-split.ts), the top-level VCL untouched by a task move.
  varnish = await startLocalVarnish(renderVcl({ sites: [], mode: "dnsrr" }));
  let splitInitialSeconds: number;
  let split: { loadSeconds: number; liveSeconds: number };
  let relabelled: readonly string[] = [];
  let splitAddSiteSeconds: number;
  let splitRssMb: number | null;
  try {
    const admin = await varnish.admin();
    const t = process.hrtime.bigint();
    await loadSplitVcl(admin, renderSplitVcl(input(n, ports)));
    splitInitialSeconds = seconds(t);
    split = await timeToLive(varnish, host, tag, async () => {
      relabelled = (await loadSplitVcl(admin, renderSplitVcl(input(n, ports, moved)))).relabelled;
    });
    // A new site: its VCL and the top-level VCL (which gains its domains) are compiled.
    const addStart = process.hrtime.bigint();
    await loadSplitVcl(admin, renderSplitVcl(input(n + 1, ports, moved)));
    splitAddSiteSeconds = seconds(addStart);
    splitRssMb = varnishRssMb(varnish.pid);
  } finally {
    await varnish.stop();
    for (const s of servers) s.close();
  }

  const result: RoutingScaleResult = {
    sites: n,
    whole: { initialSeconds: wholeInitialSeconds, ...whole, varnishRssMb: wholeRssMb },
    split: { initialSeconds: splitInitialSeconds, ...split, addSiteSeconds: splitAddSiteSeconds, compiledOnMove: relabelled.length, varnishRssMb: splitRssMb },
  };
  process.stdout.write(JSON.stringify(result) + "\n");
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
