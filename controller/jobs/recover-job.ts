import { LABEL } from "../desired/labels";
import type { ServiceSpec } from "../desired/types";

/**
 * The one-off job `simulium state recover` reads a controller secret through
 * (jobs/read-secret-job.ts): an image of the instance's (Varnish's, or the backup tools'), with
 * that one Swarm secret mounted, no network, no volume, nothing else. Pure.
 */
export function recoveryJobSpec(instance: string, image: string, secretName: string, target: string): ServiceSpec {
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
      secrets: [{ secretName, target, mode: 0o400 }],
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
