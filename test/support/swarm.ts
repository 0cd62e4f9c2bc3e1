import type Docker from "dockerode";
import { randomBytes } from "node:crypto";
import { cleanupNamespace } from "../harness/cleanup";
import { execInService as harnessExec } from "../harness/exec";
import { waitFor as harnessWaitFor } from "../harness/wait";

/**
 * Reconcile tests work per simulium instance (the label the controller itself puts on every
 * object) rather than per test label; these adapt the harness helpers to that.
 */

/** A unique instance name per test file: everything it creates carries it, and only that is removed. */
export function testInstance(prefix = "t"): string {
  return `${prefix}${randomBytes(4).toString("hex")}`.slice(0, 20);
}

export function waitFor<T>(fn: () => Promise<T | undefined | null | false>, what: string, timeout = 120_000, interval = 1000): Promise<T> {
  return harnessWaitFor(fn, { what, timeout, interval });
}

/** Removes every object labelled simulium.instance=<instance>, and nothing else. */
export async function removeInstance(docker: Docker, instance: string): Promise<void> {
  await cleanupNamespace(docker, `simulium.instance=${instance}`);
}

/** Runs a command in a running container of a service (as `docker exec`), stdout and stderr together. */
export async function execInService(docker: Docker, service: string, cmd: string[]): Promise<{ exitCode: number; output: string }> {
  const r = await harnessExec(docker, service, cmd);
  return { exitCode: r.exitCode, output: r.stdout + r.stderr };
}
