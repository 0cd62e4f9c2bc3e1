import { existsSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { Worker } from "node:worker_threads";
import { SITES_DIR } from "./layout";
import { isPackedRead, unpackRead } from "./parsed-read";
import { readRepo, RepoRead } from "./read";

/**
 * From this many entries in sites/, the files are read and parsed on a worker thread while
 * the main thread reads the swarm (reconcile/load-beside-live.ts). Starting a worker costs
 * ~0.05 s of CPU; at 10,000 files reading and parsing take ~0.4 s, which then run on the
 * second core. Under it, the main thread reads as ever.
 */
export const READ_AHEAD_FROM = 500;

/**
 * readRepo(dir), with the fast-path parse of each file done too (RepoRead.parsed) on a worker
 * thread for a large repository. Whatever the worker does, the answer is readRepo's: a worker
 * that cannot start or fails (no compiled worker module, as under ts-jest) is replaced by
 * reading on this thread.
 */
export function readRepoAhead(dir: string): Promise<RepoRead> {
  if (siteEntries(dir) < READ_AHEAD_FROM || !existsSync(WORKER_MODULE)) return readRepo(dir);
  return onWorker(dir).catch(() => readRepo(dir));
}

const WORKER_MODULE = join(__dirname, "read-ahead-worker.js");

/** How many entries sites/ has, to choose; 0 when it cannot be listed (readRepo says why). */
function siteEntries(dir: string): number {
  try {
    return readdirSync(join(dir, SITES_DIR)).length;
  } catch {
    return 0;
  }
}

/** The worker's one message, unpacked; rejected when it fails or ends without one. */
function onWorker(dir: string): Promise<RepoRead> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(WORKER_MODULE, { workerData: { dir } });
    worker.once("message", (m: unknown) => (isPackedRead(m) ? resolve(unpackRead(m)) : reject(new Error("read-ahead worker: unexpected message"))));
    worker.once("error", reject);
    worker.once("exit", (code) => reject(new Error(`read-ahead worker ended (${code}) without an answer`)));
  });
}
