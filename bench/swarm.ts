import { execFile } from "node:child_process";
import type Docker from "dockerode";
import { LABEL } from "../controller/desired/labels";

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** The CLI for the baseline: Debian's 20.10 client matches the 20.10 engine (API 1.41). */
export const DOCKER_CLI = process.env.BENCH_DOCKER_CLI ?? "/usr/bin/docker";

export function run(cmd: string, args: readonly string[], env: NodeJS.ProcessEnv = process.env): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(cmd, [...args], { env, maxBuffer: 16 * 2 ** 20 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`${cmd} ${args.join(" ")} failed: ${stderr.trim() || err.message}`));
      else resolve(stdout);
    });
  });
}

export interface Progress {
  readonly services: number;
  readonly running: number;
  readonly wanted: number;
}

/** Running tasks against wanted replicas, over every service carrying the instance label. */
export async function progress(docker: Docker, instance: string): Promise<Progress> {
  const services = await docker.listServices({ filters: { label: [`${LABEL.instance}=${instance}`] } });
  if (services.length === 0) return { services: 0, running: 0, wanted: 0 };
  const tasks = await docker.listTasks({ filters: { service: services.map((s) => s.ID), "desired-state": ["running"] } });
  let running = 0;
  let wanted = 0;
  for (const s of services) {
    const replicas = s.Spec?.Mode?.Replicated?.Replicas ?? 0;
    wanted += replicas;
    const up = tasks.filter((t) => t.ServiceID === s.ID && t.Status?.State === "running").length;
    running += Math.min(up, replicas);
  }
  return { services: services.length, running, wanted };
}

export class ConvergeTimeout extends Error {
  constructor(readonly last: Progress, readonly afterMs: number) {
    super(`not converged after ${Math.round(afterMs / 1000)} s: ${last.running}/${last.wanted} tasks running`);
  }
}

/** Waits until `services` services exist and all their tasks run; throws ConvergeTimeout with the last count. */
export async function waitRunning(docker: Docker, instance: string, services: number, timeoutMs: number, pollMs = 500): Promise<Progress> {
  const start = Date.now();
  let last: Progress = { services: 0, running: 0, wanted: 0 };
  while (Date.now() - start < timeoutMs) {
    last = await progress(docker, instance);
    if (last.services >= services && last.running === last.wanted) return last;
    await sleep(pollMs);
  }
  throw new ConvergeTimeout(last, Date.now() - start);
}

/** Seconds Swarm takes from service create to a running task: the floor under every figure. */
export async function floorSeconds(docker: Docker, instance: string): Promise<number> {
  const start = Date.now();
  await docker.createService({
    Name: `${instance}_floor`,
    Labels: { [LABEL.instance]: instance },
    TaskTemplate: { ContainerSpec: { Image: "simulium/busybox:local", Args: ["sleep", "3600"] } },
    Mode: { Replicated: { Replicas: 1 } },
    EndpointSpec: { Mode: "dnsrr" },
  });
  await waitRunning(docker, instance, 1, 120_000);
  return (Date.now() - start) / 1000;
}

/** The synthetic sites' web health-check interval (test/support/manifests.ts siteYaml's default). */
export const SITE_HEALTH_INTERVAL_S = 2;

/**
 * Figure 3's floor: what Swarm itself takes for the change being measured, a start-first update
 * of a service whose container has a health check every `intervalSeconds`, from the update
 * call until its new task runs (Swarm counts it running only once its first check passed, one
 * interval after the container started: Docker 20.10 has no faster first check). A busybox
 * whose check is `true`, so the figure is Swarm's and Docker's, not the web image's.
 */
export async function updateFloorSeconds(docker: Docker, instance: string, intervalSeconds: number, timeoutMs = 120_000): Promise<number> {
  const name = `${instance}_updatefloor`;
  const spec = (version: string) => ({
    Name: name,
    Labels: { [LABEL.instance]: instance },
    TaskTemplate: {
      ContainerSpec: {
        Image: "simulium/busybox:local",
        Args: ["sleep", "3600"],
        Env: [`VERSION=${version}`],
        Healthcheck: { Test: ["CMD", "true"], Interval: intervalSeconds * 1e9, Timeout: 1e9, Retries: 3, StartPeriod: 60e9 },
      },
    },
    Mode: { Replicated: { Replicas: 1 } },
    UpdateConfig: { Parallelism: 1, Order: "start-first", FailureAction: "pause", Monitor: 1e9 },
    EndpointSpec: { Mode: "dnsrr" },
  });
  const created = (await docker.createService(spec("1"))) as { id?: string; ID?: string };
  const id = created.id ?? created.ID ?? name;
  await waitRunning(docker, instance, 1, timeoutMs);
  const running = async (): Promise<string[]> =>
    ((await docker.listTasks({ filters: { service: [id], "desired-state": ["running"] } })) as { ID: string; Status?: { State?: string } }[]).filter((t) => t.Status?.State === "running").map((t) => t.ID);
  const before = new Set(await running());
  const version = ((await docker.getService(id).inspect()) as { Version: { Index: number } }).Version.Index;
  const start = Date.now();
  await docker.getService(id).update({ version, ...spec("2") });
  while (Date.now() - start < timeoutMs) {
    if ((await running()).some((t) => !before.has(t))) return (Date.now() - start) / 1000;
    await sleep(50);
  }
  throw new Error(`${name}: the updated task did not run within ${Math.round(timeoutMs / 1000)} s`);
}
