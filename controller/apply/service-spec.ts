import type { ApiHealthcheck, ApiMount, ApiServiceSpec, ApiUpdateConfig } from "../engine/api-types";
import type { ContainerHealthcheck, ServiceSpec, UpdatePolicy } from "../desired/types";
import { DEFAULT_SECRET_MODE } from "../desired/names";


const NS_PER_SECOND = 1e9;

export interface IdLookup {
  readonly networkId: (name: string) => string;
  readonly secretId: (name: string) => string;
}

/** simulium's service spec → the engine's, with the object labels (commit included) on top. */
export function serviceSpecToApi(spec: ServiceSpec, labels: Readonly<Record<string, string>>, ids: IdLookup): ApiServiceSpec {
  const s = spec.shape;
  const limits: { NanoCPUs?: number; MemoryBytes?: number } = {};
  if (s.nanoCpus !== null) limits.NanoCPUs = s.nanoCpus;
  if (s.memoryBytes !== null) limits.MemoryBytes = s.memoryBytes;
  return {
    Name: spec.name,
    Labels: { ...labels },
    TaskTemplate: {
      ContainerSpec: {
        Image: s.image,
        Labels: { ...s.taskLabels },
        ...(s.args ? { Args: [...s.args] } : {}),
        Env: Object.entries(s.env)
          .sort(([a], [b]) => a.localeCompare(b))
          .map(([k, v]) => `${k}=${v}`),
        Mounts: s.mounts.map((m) => ({ Type: "volume", Source: m.source, Target: m.target, ReadOnly: m.readOnly, ...volumeOptions(spec, m.source) })),
        Secrets: s.secrets.map((r) => ({
          File: { Name: r.target, UID: "0", GID: "0", Mode: r.mode ?? DEFAULT_SECRET_MODE },
          SecretID: ids.secretId(r.secretName),
          SecretName: r.secretName,
        })),
        ...(s.healthcheck ? { Healthcheck: healthcheckToApi(s.healthcheck) } : {}),
        ...(s.stopGracePeriodSeconds !== undefined ? { StopGracePeriod: s.stopGracePeriodSeconds * NS_PER_SECOND } : {}),
        ...(s.sysctls !== undefined ? { Sysctls: { ...s.sysctls } } : {}),
      },
      Resources: { Limits: limits },
      RestartPolicy: { Condition: "any", Delay: 5 * NS_PER_SECOND, MaxAttempts: 0 },
      Placement: { Constraints: [...s.constraints], ...(s.spread !== undefined ? { Preferences: s.spread.map((d) => ({ Spread: { SpreadDescriptor: d } })) } : {}) },
      Networks: s.networks.map((n) => ({ Target: ids.networkId(n) })),
    },
    Mode: s.global ? { Global: {} } : { Replicated: { Replicas: s.replicas } },
    UpdateConfig: updateToApi(s.update),
    RollbackConfig: { ...updateToApi(s.update), FailureAction: "pause" },
    EndpointSpec: {
      Mode: s.endpointMode,
      Ports: s.ports.map((p) => ({ Protocol: p.protocol, TargetPort: p.target, PublishedPort: p.published, PublishMode: p.mode })),
    },
  };
}

/** How the node's engine makes the volume if it has none of that name (a pinned site's, desired/placement.ts). */
function volumeOptions(spec: ServiceSpec, source: string): Pick<ApiMount, "VolumeOptions"> {
  const v = spec.volumes?.[source];
  if (!v) return {};
  return { VolumeOptions: { Labels: { ...v.labels }, DriverConfig: { Name: v.driver, Options: { ...v.options } } } };
}

function healthcheckToApi(h: ContainerHealthcheck): ApiHealthcheck {
  return {
    Test: [...h.test],
    Interval: h.intervalSeconds * NS_PER_SECOND,
    Timeout: h.timeoutSeconds * NS_PER_SECOND,
    Retries: h.retries,
    StartPeriod: h.startPeriodSeconds * NS_PER_SECOND,
  };
}

function updateToApi(u: UpdatePolicy): ApiUpdateConfig {
  return {
    Parallelism: u.parallelism,
    Delay: u.delaySeconds * NS_PER_SECOND,
    FailureAction: u.failureAction,
    Monitor: u.monitorSeconds * NS_PER_SECOND,
    MaxFailureRatio: 0,
    Order: u.order,
  };
}
