import { randomBytes } from "node:crypto";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import Docker from "dockerode";
import pino from "pino";
import { LABEL } from "../controller/desired/labels";
import { renderDesired } from "../controller/desired/render";
import type { DesiredState } from "../controller/desired/types";
import type { RepoFile } from "../controller/manifests/read";
import { loadFiles } from "../controller/manifests/load";
import { readLive } from "../controller/live/read";
import { makePlan } from "../controller/plan/plan";
import { isMutation } from "../controller/plan/types";
import { reconcile } from "../controller/features";
import { freePort } from "../test/harness/http";
import type { CountingProxy } from "../test/support/counting-proxy";
import { CONVERGENCE_POLL_MS } from "../controller/apply/wait-converged";
import { composeFiles, composeText } from "./compose";
import { convergeFloor } from "./floor";
import { daemonRss } from "./daemon-rss";
import { createForge, Forge } from "./forge";
import { routingPush, RoutingPushResult } from "./routing-push";
import { changedSiteFile, serveThroughDaemon, serveThroughStackDeploy } from "./serve";
import { middleSite } from "./serve-pick";
import type { DaemonRss, ServePass } from "./serve-types";
import { ConvergeTimeout, DOCKER_CLI, run, waitRunning } from "./swarm";
import { siteNames, syntheticRepo } from "./synthetic";

/** One timed pass of one contender; a timeout or a failed site is a result, not a crash. */
export interface Pass {
  readonly seconds: number;
  readonly apiCalls: number;
  readonly mutatingCalls: number;
  readonly ok: boolean;
  readonly tasksRunning: number;
  readonly tasksWanted: number;
  readonly error?: string;
  /** Write calls by endpoint (object IDs folded), to show what a pass changed. */
  readonly writes: Readonly<Record<string, number>>;
  /** Where the pass's time went, from the proxy's timeline (absent in older results). */
  readonly phases?: PassPhases;
  /** Baseline only: what simulium would still change on what the stacks deployed (`op kind name: fields`). */
  readonly differences?: readonly string[];
}

export interface Contender {
  readonly instance: string;
  initial(): Promise<Pass>;
  noop(): Promise<Pass>;
  /** Figure 3, on the converged sites: one site (default the middle one) changed, until it serves the change. */
  serve(site?: string): Promise<ServePass>;
  /** Figure 5 (simulium only): the daemon's memory managing these sites. */
  rss?(): Promise<DaemonRss>;
  /** After serve (simulium only): routing pushes to every Varnish task (bench/routing-push.ts). */
  routingPush?(rounds: number): Promise<RoutingPushResult>;
  dispose(): void;
}

export interface Env {
  readonly direct: Docker;
  readonly proxy: CountingProxy;
  readonly timeoutMs: number;
  /** The compiled CLI, run as the daemon for figure 5. */
  readonly cli: string;
  readonly log: (msg: string) => void;
}

const quiet = pino({ level: "silent" });

/**
 * Where the contenders run: the host's one-node swarm (LOCAL), or the 3-node test cluster
 * (bench/cluster.ts), whose nodes pull from its registry with credentials.
 */
export interface Shape {
  /** Rewrites the synthetic repository (image names, registry credentials). */
  readonly files: (files: RepoFile[]) => RepoFile[];
  /** The cluster manifest's Varnish line for the daemon's forge. */
  readonly varnish: (port: number) => string;
  /** Varnish's published port; default: a free one on this machine. */
  readonly varnishPort?: number;
  /** Where Varnish answers (figure 3 waits for all of them). */
  readonly varnishHosts: readonly string[];
  /** `docker stack deploy` flags and environment for the baseline. */
  readonly stackDeployFlags: readonly string[];
  readonly stackDeployEnv: Readonly<Record<string, string>>;
  /** The baseline's page read inside a web task; default: exec through the engine. */
  readonly page?: (service: string) => Promise<string>;
}

export const LOCAL: Shape = {
  files: (files) => files,
  varnish: (port) => `  varnish: {image: "simulium/varnish:local", port: ${port}}\n`,
  varnishHosts: ["127.0.0.1"],
  stackDeployFlags: ["--resolve-image", "never"],
  stackDeployEnv: {},
};

/**
 * A pass cut at its first and last write: reading and planning before, creating (mean time the
 * engine took per write, with the calls in flight at once), waiting for the tasks after.
 */
export interface PassPhases {
  readonly beforeFirstWriteSeconds: number;
  readonly writingSeconds: number;
  readonly afterLastWriteSeconds: number;
  readonly meanWriteMs: number;
  readonly readsWhileWriting: number;
}

export function passPhases(timeline: readonly { readonly request: string; readonly startMs: number; readonly endMs: number }[], startMs: number, endMs: number): PassPhases | undefined {
  const writes = timeline.filter((t) => !t.request.startsWith("GET ") && !t.request.startsWith("HEAD "));
  const first = writes[0];
  if (first === undefined) return undefined;
  const lastEnd = Math.max(...writes.map((w) => (Number.isNaN(w.endMs) ? w.startMs : w.endMs)));
  const answered = writes.filter((w) => !Number.isNaN(w.endMs));
  return {
    beforeFirstWriteSeconds: (first.startMs - startMs) / 1000,
    writingSeconds: (lastEnd - first.startMs) / 1000,
    afterLastWriteSeconds: (endMs - lastEnd) / 1000,
    meanWriteMs: answered.length === 0 ? 0 : answered.reduce((sum, w) => sum + (w.endMs - w.startMs), 0) / answered.length,
    readsWhileWriting: timeline.filter((t) => (t.request.startsWith("GET ") || t.request.startsWith("HEAD ")) && t.startMs >= first.startMs && t.startMs <= lastEnd).length,
  };
}

async function timed(env: Env, instance: string, services: number, body: () => Promise<string | undefined>): Promise<Pass> {
  env.proxy.reset();
  const startMs = performance.now();
  const start = process.hrtime.bigint();
  let error: string | undefined;
  let progress = { running: 0, wanted: 0 };
  try {
    error = await body();
    progress = await waitRunning(env.direct, instance, services, env.timeoutMs);
  } catch (err) {
    if (err instanceof ConvergeTimeout) progress = err.last;
    error = err instanceof Error ? err.message : String(err);
  }
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  const phases = passPhases(env.proxy.timeline, startMs, performance.now());
  return {
    ...(phases ? { phases } : {}),
    seconds,
    apiCalls: env.proxy.requests.length,
    mutatingCalls: env.proxy.mutating().length,
    ok: error === undefined,
    tasksRunning: progress.running,
    tasksWanted: progress.wanted,
    writes: byEndpoint(env.proxy.mutating()),
    ...(error === undefined ? {} : { error }),
  };
}

export function byEndpoint(requests: readonly string[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const r of requests) {
    const key = r.replace(/\/[0-9a-z]{20,}(?=\/|$)/g, "/{id}");
    out[key] = (out[key] ?? 0) + 1;
  }
  return out;
}

/** simulium: one reconcile of a manifests directory, through the counting proxy. */
export function simuliumContender(env: Env, instance: string, sites: number, shape: Shape = LOCAL, concurrency?: number): Contender {
  const dir = mkdtempSync(path.join(os.tmpdir(), "simulium-bench-repo-"));
  for (const f of shape.files(syntheticRepo(instance, `${instance}-`, sites))) {
    mkdirSync(path.dirname(path.join(dir, f.path)), { recursive: true });
    writeFileSync(path.join(dir, f.path), f.text);
  }
  const viaProxy = new Docker({ socketPath: env.proxy.socketPath });
  const pass = (expectMutations: boolean) =>
    timed(env, instance, sites * 2, async () => {
      // Apply's own convergence poll (CONVERGENCE_POLL_MS), as the floor polls.
      const out = await reconcile(viaProxy, dir, { commit: "bench", log: quiet, timeoutSeconds: env.timeoutMs / 1000, allowMassDelete: false, ...(concurrency === undefined ? {} : { concurrency }) });
      const failed = out.result.sites.filter((s) => s.state === "failed");
      if (failed.length > 0) return `${failed.length} site(s) failed: ${failed[0]?.error ?? ""}`;
      if (!expectMutations && out.mutations > 0) return `no-op run made ${out.mutations} changes`;
      return undefined;
    });
  // Figures 3 and 5 run the daemon on a git forge holding the same sites plus a Varnish in
  // front: its first run adds only the Varnish (setup, not measured).
  const root = mkdtempSync(path.join(os.tmpdir(), "simulium-bench-forge-"));
  const stateDir = path.join(root, "state");
  let forged: Promise<{ forge: Forge; port: number; files: RepoFile[] }> | undefined;
  const forge = (): Promise<{ forge: Forge; port: number; files: RepoFile[] }> =>
    (forged ??= (shape.varnishPort !== undefined ? Promise.resolve(shape.varnishPort) : freePort()).then((port) => {
      const f = createForge(root);
      const files = shape.files(syntheticRepo(instance, `${instance}-`, sites, shape.varnish(port)));
      f.commit(files, `${sites} sites behind Varnish`);
      return { forge: f, port, files };
    }));
  const changedSite = middleSite(siteNames(`${instance}-`, sites).sort());
  return {
    instance,
    initial: () => pass(true),
    noop: () => pass(false),
    rss: async () => daemonRss({ cli: env.cli, repo: (await forge()).forge.url, stateDir, sites, timeoutMs: env.timeoutMs, log: env.log }),
    serve: async (site = changedSite) => {
      const f = await forge();
      return serveThroughDaemon({ docker: env.direct, forge: f.forge, stateDir, varnishPort: f.port, varnishHosts: shape.varnishHosts, rewrite: shape.files, site, timeoutMs: env.timeoutMs, log: env.log });
    },
    routingPush: async (rounds) => {
      const f = await forge();
      return routingPush({ docker: env.direct, files: f.files, rewrite: shape.files, stateDir, site: changedSite, varnishHosts: shape.varnishHosts, varnishPort: f.port, rounds, log: env.log });
    },
    dispose: () => {
      rmSync(dir, { recursive: true, force: true });
      rmSync(root, { recursive: true, force: true });
    },
  };
}

/**
 * The baseline: the same desired state as compose files, deployed by a loop of
 * `docker stack deploy` (20.10 CLI, `--resolve-image never`: no registry here, and simulium
 * does not resolve digests either), also through the counting proxy.
 */
export function stackDeployContender(env: Env, instance: string, sites: number, shape: Shape = LOCAL): Contender {
  const dir = mkdtempSync(path.join(os.tmpdir(), "simulium-bench-compose-"));
  const raw = syntheticRepo(instance, `${instance}-`, sites);
  const files = shape.files(raw);
  const desired = desiredOf(files);
  const secretFile = (name: string): string => path.join(dir, "secrets", name);
  mkdirSync(path.join(dir, "secrets"), { mode: 0o700 });
  const stacks = composeFiles(desired, secretFile).map((s) => {
    for (const secret of Object.values(s.compose.secrets)) writeFileSync(secret.file, randomBytes(24).toString("base64url"), { mode: 0o600 });
    const file = path.join(dir, `${s.stack}.yaml`);
    writeFileSync(file, composeText(s.compose));
    return { stack: s.stack, file };
  });
  const cliEnv = { ...process.env, ...shape.stackDeployEnv, DOCKER_HOST: `unix://${env.proxy.socketPath}` };
  const deployAll = async (): Promise<undefined> => {
    for (const s of stacks) await run(DOCKER_CLI, ["stack", "deploy", ...shape.stackDeployFlags, "-c", s.file, s.stack], cliEnv);
    return undefined;
  };
  const edge = `${instance}_edge`;
  return {
    instance,
    initial: async () => {
      const pass = await timed(env, instance, sites * 2, async () => {
        // The shared edge network is external to every stack, as simulium's is shared by every site.
        await run(DOCKER_CLI, ["network", "create", "--driver", "overlay", "--attachable", "--label", `${LABEL.instance}=${instance}`, edge], cliEnv);
        return deployAll();
      });
      // Proof that both contenders were asked for the same thing: simulium's planner against
      // what the stacks deployed should find nothing to change.
      const plan = makePlan(desired, await readLive(env.direct, instance));
      const differences = plan.actions.filter(isMutation).map((a) => `${a.op} ${a.kind} ${a.name}: ${a.changes.map((c) => c.field).join(", ")}`);
      return { ...pass, differences };
    },
    noop: () => timed(env, instance, sites * 2, deployAll),
    serve: () => {
      const site = middleSite(siteNames(`${instance}-`, sites).sort());
      // The operator's edit: the site's compose file, rendered from the changed manifest.
      const change = (): void => {
        // From the raw repository: rewriting `files` again would add registryAuth twice.
      const changed = shape.files(raw.map((f) => (f.path === `sites/${site}.yaml` ? changedSiteFile(site) : f)));
        const stack = composeFiles(desiredOf(changed), secretFile).find((s) => s.stack === site);
        if (!stack) throw new Error(`internal: no stack for ${site}`);
        writeFileSync(path.join(dir, `${site}.yaml`), composeText(stack.compose));
      };
      return serveThroughStackDeploy({ docker: env.direct, site, loopPosition: stacks.findIndex((s) => s.stack === site) + 1, change, deployAll, timeoutMs: env.timeoutMs, ...(shape.page ? { page: shape.page } : {}) });
    },
    dispose: () => rmSync(dir, { recursive: true, force: true }),
  };
}

/**
 * The engine's floor (bench/floor.ts): the objects simulium's render asks for, made by a bare
 * script with the same bounded concurrency, through the same counting proxy, until every task
 * runs. Initial converge only.
 */
export function floorContender(env: Env, instance: string, sites: number, concurrency: number, shape: Shape = LOCAL): { readonly instance: string; initial(): Promise<Pass> } {
  const desired = desiredOf(shape.files(syntheticRepo(instance, `${instance}-`, sites)));
  const viaProxy = new Docker({ socketPath: env.proxy.socketPath });
  return {
    instance,
    initial: () =>
      timed(env, instance, sites * 2, async () => {
        await convergeFloor(viaProxy, desired, { concurrency, timeoutMs: env.timeoutMs, pollMs: CONVERGENCE_POLL_MS });
        return undefined;
      }),
  };
}

function desiredOf(files: readonly RepoFile[]): DesiredState {
  const load = loadFiles(files);
  if (!load.cluster || load.errors.length > 0) throw new Error(`baseline manifests do not load: ${load.errors.map((e) => e.message).join("; ")}`);
  return renderDesired({ sites: load.sites, cluster: load.cluster });
}
