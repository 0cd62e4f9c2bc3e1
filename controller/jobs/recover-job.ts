import { LABEL } from "../desired/labels";
import type { ServiceSpec } from "../desired/types";

/**
 * The one-off job `simulium state recover` (and the daemon) reads the state's secrets back
 * through (jobs/read-secret-job.ts): an image of the instance's (Varnish's, the backup tools',
 * the TLS terminator's), with those Swarm secrets mounted, no network, no volume, nothing else.
 * Pure.
 */
export function recoveryJobSpec(instance: string, image: string, secrets: readonly { readonly secretName: string; readonly target: string }[]): ServiceSpec {
  return {
    kind: "service",
    // Jobs are named and labelled after a site; the instance's own jobs use the instance name.
    site: instance,
    name: `${instance}_state-recover`,
    role: "web",
    labels: { [LABEL.instance]: instance, [LABEL.site]: instance },
    shape: {
      image,
      args: null,
      env: {},
      replicas: 1,
      mounts: [],
      secrets: secrets.map((x) => ({ secretName: x.secretName, target: x.target, mode: 0o400 })),
      networks: [],
      memoryBytes: null,
      nanoCpus: null,
      endpointMode: "dnsrr",
      ports: [],
      constraints: [],
      taskLabels: {},
      update: { order: "stop-first", failureAction: "pause", monitorSeconds: 0, parallelism: 1, delaySeconds: 0 },
    },
  };
}
