import type { ApiContainerSpec, ApiServiceSpec } from "../engine/api-types";
import { DEFAULT_SECRET_MODE } from "../desired/names";
import type { ContainerHealthcheck, PublishedPort, ServiceShape, UpdatePolicy } from "../desired/types";

const NS_PER_SECOND = 1e9;

/**
 * The engine's service spec → simulium's shape. The engine adds defaults, stores network IDs
 * instead of names and keeps lists in whatever order they came; all of that is undone here so
 * that an unchanged service compares equal to its desired spec (no redeploy on every tick).
 */
export function shapeFromApi(spec: ApiServiceSpec, networkNames: ReadonlyMap<string, string>): ServiceShape {
  const task = spec.TaskTemplate ?? {};
  const container = task.ContainerSpec ?? {};
  const limits = task.Resources?.Limits ?? {};
  const args = container.Args && container.Args.length > 0 ? [...container.Args] : null;
  return {
    image: container.Image ?? "",
    args,
    env: parseEnv(container.Env ?? []),
    replicas: spec.Mode?.Replicated?.Replicas ?? 0,
    ...(spec.Mode?.Global !== undefined ? { global: true as const } : {}),
    mounts: (container.Mounts ?? [])
      .filter((m) => (m.Type ?? "volume") === "volume")
      .map((m) => ({ source: m.Source ?? "", target: m.Target ?? "", readOnly: m.ReadOnly === true }))
      .sort((a, b) => a.target.localeCompare(b.target)),
    secrets: (container.Secrets ?? [])
      .map((s) => ({ secretName: s.SecretName ?? "", target: s.File?.Name ?? "", ...(s.File?.Mode !== undefined && s.File.Mode !== DEFAULT_SECRET_MODE ? { mode: s.File.Mode } : {}) }))
      .sort((a, b) => a.target.localeCompare(b.target)),
    networks: (task.Networks ?? []).map((n) => networkNames.get(n.Target ?? "") ?? n.Target ?? "").sort(),
    memoryBytes: limits.MemoryBytes ? limits.MemoryBytes : null,
    nanoCpus: limits.NanoCPUs ? limits.NanoCPUs : null,
    endpointMode: spec.EndpointSpec?.Mode === "dnsrr" ? "dnsrr" : "vip",
    ports: (spec.EndpointSpec?.Ports ?? []).map(portFromApi).sort((a, b) => a.published - b.published),
    constraints: [...(task.Placement?.Constraints ?? [])].sort(),
    ...spreadFromApi(task.Placement?.Preferences),
    taskLabels: { ...(container.Labels ?? {}) },
    update: updateFromApi(spec.UpdateConfig),
    ...(container.Healthcheck?.Test && container.Healthcheck.Test.length > 0 ? { healthcheck: healthcheckFromApi(container.Healthcheck) } : {}),
    ...stopGraceFromApi(container.StopGracePeriod),
    ...(container.Sysctls && Object.keys(container.Sysctls).length > 0 ? { sysctls: { ...container.Sysctls } } : {}),
  };
}

/** Spread preferences in their order (Swarm applies them as a tree, first one first); none: absent. */
function spreadFromApi(prefs: NonNullable<NonNullable<ApiServiceSpec["TaskTemplate"]>["Placement"]>["Preferences"]): { spread?: string[] } {
  const spread = (prefs ?? []).map((p) => p.Spread?.SpreadDescriptor ?? "").filter((d) => d !== "");
  return spread.length > 0 ? { spread } : {};
}

/**
 * The engine's own default (10 s), which `docker service inspect` shows for a service that set
 * none, is the same as none: a desired shape never sets exactly that (desired/render.ts).
 */
const ENGINE_STOP_GRACE_SECONDS = 10;

function stopGraceFromApi(ns: number | undefined): { stopGracePeriodSeconds?: number } {
  if (ns === undefined) return {};
  const seconds = Math.round(ns / NS_PER_SECOND);
  return seconds === ENGINE_STOP_GRACE_SECONDS ? {} : { stopGracePeriodSeconds: seconds };
}

function healthcheckFromApi(h: NonNullable<ApiContainerSpec["Healthcheck"]>): ContainerHealthcheck {
  return {
    test: [...(h.Test ?? [])],
    intervalSeconds: Math.round((h.Interval ?? 0) / NS_PER_SECOND),
    timeoutSeconds: Math.round((h.Timeout ?? 0) / NS_PER_SECOND),
    retries: h.Retries ?? 0,
    startPeriodSeconds: Math.round((h.StartPeriod ?? 0) / NS_PER_SECOND),
  };
}

export function parseEnv(env: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const entry of env) {
    const eq = entry.indexOf("=");
    if (eq > 0) out[entry.slice(0, eq)] = entry.slice(eq + 1);
    else out[entry] = "";
  }
  return out;
}

function portFromApi(p: NonNullable<NonNullable<ApiServiceSpec["EndpointSpec"]>["Ports"]>[number]): PublishedPort {
  return {
    target: p.TargetPort ?? 0,
    published: p.PublishedPort ?? 0,
    protocol: p.Protocol === "udp" ? "udp" : "tcp",
    mode: p.PublishMode === "host" ? "host" : "ingress",
  };
}

function updateFromApi(u: ApiServiceSpec["UpdateConfig"]): UpdatePolicy {
  const failure = u?.FailureAction;
  return {
    order: u?.Order === "start-first" ? "start-first" : "stop-first",
    failureAction: failure === "rollback" || failure === "continue" ? failure : "pause",
    monitorSeconds: Math.round((u?.Monitor ?? 0) / NS_PER_SECOND),
    parallelism: u?.Parallelism ?? 1,
    delaySeconds: Math.round((u?.Delay ?? 0) / NS_PER_SECOND),
  };
}
