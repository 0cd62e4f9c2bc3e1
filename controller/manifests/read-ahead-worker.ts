/**
 * The worker thread of manifests/read-ahead.ts: reads the repository (readRepo, the same
 * checks as on the main thread) and parses each file on the fast path, then posts the packed
 * result and ends.
 */
import { parentPort, workerData } from "node:worker_threads";
import { MAX_DEPTH } from "./layout";
import { packedBuffers, packRead } from "./parsed-read";
import { readRepo } from "./read";

const port = parentPort;
const dir = (workerData as { dir?: unknown } | null)?.dir;
if (port === null || typeof dir !== "string") throw new Error("read-ahead-worker runs as a worker thread given { dir }");
void readRepo(dir).then((read) => {
  const packed = packRead(read, MAX_DEPTH);
  port.postMessage(packed, packedBuffers(packed));
});
