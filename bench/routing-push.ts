import type Docker from "dockerode";
import pino from "pino";
import { names } from "../controller/desired/names";
import { readLive } from "../controller/live/read";
import { loadFiles } from "../controller/manifests/load";
import type { RepoFile } from "../controller/manifests/read";
import { readVarnishSecret } from "../controller/routing/admin-secret";
import { relayTargets, relayVcl } from "../controller/routing/relay";
import { syncRouting } from "../controller/routing/sync";
import { runningTasksOf, vclInputFrom } from "../controller/routing/vcl-input-from";
import { renderVcl } from "../controller/varnish/vcl";
import { siteYaml } from "../test/support/manifests";
import { httpGet } from "../test/harness/http";

const quiet = pino({ level: "silent" });

/** Seconds of each push, by way. */
export interface RoutingPushResult {
  readonly varnishTasks: number;
  /** Every task reached through the relay (this process is off the swarm's nodes). */
  readonly relayed: number;
  /** syncRouting as apply and the daemon call it: exec in the manager's Varnish task. */
  readonly execSeconds: readonly number[];
  /** The same VCL push through a relay job (what ran before, and the fallback when the manager runs no Varnish task). */
  readonly jobSeconds: readonly number[];
  /** The last new domain answered 200 through every node's Varnish right after its push. */
  readonly servedEverywhere: boolean;
  readonly error?: string;
}

export interface RoutingPushInput {
  readonly docker: Docker;
  /** The repository the daemon converged to (its head). */
  readonly files: readonly RepoFile[];
  /** As the contender's repository is rewritten (bench/contenders.ts Shape). */
  readonly rewrite: (files: RepoFile[]) => RepoFile[];
  readonly stateDir: string;
  readonly site: string;
  readonly varnishHosts: readonly string[];
  readonly varnishPort: number;
  readonly rounds: number;
  readonly log: (msg: string) => void;
}

/**
 * Item 5's timing: a routing change (a new domain on one site: new VCL, no task change) until
 * every Varnish task on every node has it active. Alternates the relay by exec (the product
 * path) with a forced relay job, each round a new domain so each push compiles.
 */
export async function routingPush(input: RoutingPushInput): Promise<RoutingPushResult> {
  const exec: number[] = [];
  const job: number[] = [];
  let varnishTasks = 0;
  let relayed = 0;
  let lastDomain = "";
  for (let round = 1; round <= input.rounds * 2; round++) {
    lastDomain = `r${round}-${Date.now().toString(36)}.${input.site}.test`;
    // input.files are already in the cluster's shape: only the changed site's file is rewritten
    // (rewriting them all again added the registry settings to simulium.yaml twice).
    const sitePath = `sites/${input.site}.yaml`;
    const changed = input.rewrite([{ path: sitePath, text: siteYaml(input.site, { version: "2", database: true, domains: [`${input.site}.test`, lastDomain] }) }]).find((f) => f.path === sitePath);
    if (!changed) return fail(`the cluster's rewrite dropped ${sitePath}`);
    const files = input.files.map((f) => (f.path === sitePath ? changed : f));
    const load = loadFiles(files);
    if (!load.cluster || load.errors.length > 0) throw new Error(`the pushed manifests do not load: ${load.errors.map((e) => e.message).join("; ")}`);
    const cluster = load.cluster;
    const secret = readVarnishSecret(input.stateDir, cluster.instance);
    const live = await readLive(input.docker, cluster.instance);
    const tasks = runningTasksOf(names.varnishService(cluster.instance), live);
    varnishTasks = tasks.length;
    const start = process.hrtime.bigint();
    if (round % 2 === 1) {
      const r = await syncRouting(input.docker, { cluster, sites: load.sites, live, secret, log: quiet });
      const seconds = Number(process.hrtime.bigint() - start) / 1e9;
      if (!r.ok || r.tasks.some((t) => t.changed !== true)) return fail(`push ${round}: ${JSON.stringify(r.tasks.map((t) => [t.endpoint, t.ok, t.changed, t.error]))}`);
      relayed = r.tasks.filter((t) => t.endpoint?.includes("(relay")).length;
      exec.push(seconds);
    } else {
      const admin = names.adminNetwork(cluster.instance);
      const network = live.networks.find((n) => n.name === admin);
      if (!network) return fail(`no admin network ${admin}`);
      const vcl = renderVcl(vclInputFrom({ cluster, sites: load.sites, live }));
      // No Varnish task named for the exec: the relay job, as before.
      const out = await relayVcl(input.docker, { varnishService: names.varnishService(cluster.instance), adminNetworkId: network.id, tasks: relayTargets(tasks, admin).relayed, varnish: [], vcl, keep: 3, log: quiet });
      const seconds = Number(process.hrtime.bigint() - start) / 1e9;
      if (out.length !== tasks.length || out.some((o) => !o.ok || !o.changed)) return fail(`push ${round} by job: ${JSON.stringify(out)}`);
      job.push(seconds);
    }
    input.log(`routing push ${round} (${round % 2 === 1 ? "exec" : "job"}): ${(round % 2 === 1 ? exec : job).at(-1)?.toFixed(2)} s to ${tasks.length} Varnish tasks`);
  }
  const answers = await Promise.all(input.varnishHosts.map((h) => httpGet(h, input.varnishPort, "/", { Host: lastDomain }, 5_000).catch(() => ({ status: 0 }))));
  return { varnishTasks, relayed, execSeconds: exec, jobSeconds: job, servedEverywhere: answers.every((a) => a.status === 200) };

  function fail(error: string): RoutingPushResult {
    return { varnishTasks, relayed, execSeconds: exec, jobSeconds: job, servedEverywhere: false, error };
  }
}
