import { clusterDown, clusterUsedByThisRun } from "../support/cluster";

/**
 * Jest globalTeardown of the integration project: removes the multi-node test cluster
 * (harness/cluster.sh) that cluster-*.test.ts files brought up, once all of them ran; nothing
 * when none did (a cluster another run uses, e.g. from another checkout, is left alone).
 * SIMULIUM_KEEP_CLUSTER=1 keeps it for the next run (it is reused).
 */
export default function globalTeardown(): void {
  if (process.env.SIMULIUM_KEEP_CLUSTER !== "1" && clusterUsedByThisRun()) clusterDown();
}
