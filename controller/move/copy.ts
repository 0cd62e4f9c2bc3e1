import type Docker from "dockerode";
import { randomBytes } from "node:crypto";
import type { ResourceSpec } from "../desired/types";
import { loadRegistryAuth } from "../engine/registry-auth";
import { runJob, JobResult } from "../jobs/run-job";
import type { ResolvedCluster, ResolvedSite } from "../manifests/types";
import { moveJobSpec } from "./job";
import { receiverScript, senderScript } from "./scripts";

/** The copy step of a move: the two jobs of scripts.ts, each on its node (job.ts). */

export interface CopyInput {
  readonly from: string;
  readonly to: string;
  readonly oldRendered: readonly ResourceSpec[];
  readonly newRendered: readonly ResourceSpec[];
  readonly image: string;
  readonly timeoutSeconds: number;
  readonly onOutput?: (text: string) => void;
  readonly pollMs?: number;
}

/** The receiver on the new node and the sender on the old one, run together. */
export async function copyData(docker: Docker, site: ResolvedSite, cluster: ResolvedCluster, c: CopyInput): Promise<[JobResult, JobResult]> {
  const token = randomBytes(24).toString("hex");
  const receiver = `${site.name}_move-${randomBytes(3).toString("hex")}`;
  const auth = (await loadRegistryAuth(cluster.registryAuth?.configFile))(c.image);
  const common = { timeoutSeconds: c.timeoutSeconds, ...(auth ? { auth } : {}), ...(c.pollMs !== undefined ? { pollMs: c.pollMs } : {}) };
  const receiving = runJob(docker, {
    ...common,
    name: receiver,
    web: moveJobSpec(site, c.newRendered, { image: c.image, node: c.to, writable: true, env: { MOVE_TOKEN: token } }),
    command: ["sh", "-c", receiverScript(), "move-receive"],
    ...(c.onOutput ? { onOutput: c.onOutput } : {}),
  });
  const sending = runJob(docker, {
    ...common,
    kind: "move-send",
    web: moveJobSpec(site, c.oldRendered, { image: c.image, node: c.from, writable: false, env: { MOVE_TOKEN: token, MOVE_RECEIVER: receiver } }),
    command: ["sh", "-c", senderScript(), "move-send"],
    ...(c.onOutput ? { onOutput: c.onOutput } : {}),
  });
  // Both ended before the move goes on (a failed sender tells the receiver, which then stops):
  // no job of this move is left mounting the volumes when the hold ends.
  const [sent, received] = await Promise.allSettled([sending, receiving]);
  if (sent.status === "rejected") throw sent.reason;
  if (received.status === "rejected") throw received.reason;
  return [sent.value, received.value];
}

