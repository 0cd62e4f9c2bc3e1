import type Docker from "dockerode";
import { randomUUID } from "node:crypto";
import os from "node:os";
import { engineMessage, engineStatus } from "./docker";
import { setTimeout as sleep } from "node:timers/promises";

/**
 * One lock per instance, held by whoever changes the swarm (`simulium apply`, the daemon's
 * reconciles), so two of them never interleave their changes. It is a Swarm object, so every
 * manager sees the same lock whichever node a CLI or the daemon runs on: a config named
 * `<instance>_lock` whose labels say who holds it and until when. Creating it is atomic (names
 * are unique); taking over an expired one and renewing are updates checked against the version
 * read, so two takers cannot both win. A holder that dies leaves a lease that expires.
 */
export interface Lease {
  readonly holder: string;
  /**
   * Why it is no longer held (a renewal found it taken over or gone, or could not renew it for
   * its lifetime); undefined while it is. Work that waited while holding it checks before it
   * changes anything.
   */
  lost(): LeaseLostError | undefined;
  /** Gives it up (removes the config if it is still ours). */
  release(): Promise<void>;
}

export class LeaseHeldError extends Error {
  constructor(
    readonly instance: string,
    readonly holder: string,
    readonly since: string,
    readonly until: string,
  ) {
    super(`instance "${instance}" is being changed by ${holder} (since ${since}, lease until ${until}); nothing was changed, try again when it is done`);
    this.name = "LeaseHeldError";
  }
}

/**
 * A held lease is ours no more: a renewal found it taken by another holder (or gone), or could
 * not renew it for as long as it lasts. What was changed under it stays; new work takes it afresh.
 */
export class LeaseLostError extends Error {
  constructor(
    readonly instance: string,
    detail: string,
  ) {
    super(`the instance lock of "${instance}" was lost: ${detail}`);
    this.name = "LeaseLostError";
  }
}

const L = {
  instance: "simulium.instance",
  role: "simulium.role",
  holder: "simulium.lease-holder",
  since: "simulium.lease-since",
  until: "simulium.lease-until",
  ttl: "simulium.lease-ttl-seconds",
  host: "simulium.lease-host",
  pid: "simulium.lease-pid",
  /**
   * One acquisition: the holder's name is the same for every hold a process takes, so a hold
   * lost and taken again by the same process is told apart from the new one by this.
   */
  token: "simulium.lease-token",
} as const;

interface ConfigInfo {
  ID: string;
  UpdatedAt?: string;
  Version?: { Index?: number };
  Spec?: { Name?: string; Labels?: Record<string, string>; Data?: string };
}

export interface LeaseOptions {
  /** What holds it, e.g. "simulium apply" or "daemon"; host and pid are added. */
  readonly what: string;
  /** Seconds a lease lasts without renewal. Default 90. */
  readonly ttlSeconds?: number;
  /** How long to wait for a held lease before giving up. Default 0: refuse at once. */
  readonly waitSeconds?: number;
  /** Called once when the lease is held by another and acquire starts waiting. */
  readonly onWait?: (err: LeaseHeldError) => void;
  /** A renewal failed (the lease may expire while held): said, never thrown. */
  readonly onRenewError?: (err: Error) => void;
}

export const leaseName = (instance: string): string => `${instance}_lock`;

export async function acquireLease(docker: Docker, instance: string, opts: LeaseOptions): Promise<Lease> {
  const holder = `${opts.what} on ${os.hostname()} (pid ${process.pid})`;
  const token = randomUUID();
  const ttl = opts.ttlSeconds ?? 90;
  const wait = opts.waitSeconds ?? 0;
  if (!Number.isFinite(wait) || wait < 0) throw new RangeError(`a lock wait must be a number of seconds, not ${wait}`);
  const deadline = Date.now() + wait * 1000;
  let told = false;
  for (;;) {
    const id = await tryAcquire(docker, instance, holder, token, ttl);
    if (typeof id === "string") return startRenewing(docker, instance, id, holder, token, ttl, opts.onRenewError);
    if (Date.now() >= deadline) throw id;
    if (!told) opts.onWait?.(id);
    told = true;
    await sleep(1000);
  }
}

/** The config's ID when acquired, else who holds it. */
async function tryAcquire(docker: Docker, instance: string, holder: string, token: string, ttl: number): Promise<string | LeaseHeldError> {
  const now = new Date();
  const labels = leaseLabels(instance, holder, token, now, ttl);
  try {
    const created = (await docker.createConfig({ Name: leaseName(instance), Labels: labels, Data: Buffer.from("lock").toString("base64") })) as { id?: string; ID?: string };
    return created.id ?? created.ID ?? leaseName(instance);
  } catch (err) {
    if (engineStatus(err) !== 409) throw err;
  }
  const current = await inspect(docker, leaseName(instance));
  if (current === undefined) return tryAcquire(docker, instance, holder, token, ttl);
  const held = current.Spec?.Labels ?? {};
  // Expiry by the managers' clock (when the lease was last written, by the engine's time), not
  // by this host's or the holder's: a host whose clock is behind must not take a live lease.
  const written = Date.parse(current.UpdatedAt ?? "");
  const lasts = Number(held[L.ttl] ?? ttl) * 1000;
  const engineNow = Date.parse(((await docker.info()) as { SystemTime?: string }).SystemTime ?? "");
  const expired = written + lasts <= engineNow;
  if (!expired && !deadOnThisHost(held)) return new LeaseHeldError(instance, held[L.holder] ?? "unknown", held[L.since] ?? "?", held[L.until] ?? "?");
  // Expired: take it over, unless someone else did since we read it.
  try {
    await update(docker, current, labels);
    return current.ID;
  } catch (err) {
    if (engineStatus(err) === 404 || /update out of sequence/i.test(engineMessage(err))) return tryAcquire(docker, instance, holder, token, ttl);
    throw err;
  }
}

/**
 * A holder on this very host whose process is gone (killed, Ctrl-C before it released) holds
 * nothing: its lease is taken at once instead of after its time-to-live. Another host's holder,
 * or one in another container (another host name), is judged by expiry alone.
 */
function deadOnThisHost(held: Record<string, string>): boolean {
  const pid = Number(held[L.pid]);
  if (held[L.host] !== os.hostname() || !Number.isInteger(pid) || pid <= 0 || pid === process.pid) return false;
  try {
    process.kill(pid, 0);
    return false;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "ESRCH";
  }
}

function startRenewing(docker: Docker, instance: string, id: string, holder: string, token: string, ttl: number, onError?: (err: Error) => void): Lease {
  const since = new Date();
  let renewedAt = Date.now();
  let lost: LeaseLostError | undefined;
  const timer = setInterval(() => {
    void (async () => {
      let current: ConfigInfo | undefined;
      try {
        current = await inspect(docker, id);
        if (current?.Spec?.Labels?.[L.token] === token) {
          await update(docker, current, { ...leaseLabels(instance, holder, token, new Date(), ttl), [L.since]: since.toISOString() });
          renewedAt = Date.now();
          return;
        }
      } catch (err) {
        // Not renewed for as long as it lasts: another may take it now.
        if (Date.now() - renewedAt < ttl * 1000) throw err;
        throw new LeaseLostError(instance, `not renewed for ${ttl} s (${err instanceof Error ? err.message : String(err)})`);
      }
      throw new LeaseLostError(instance, current === undefined ? "it no longer exists" : `it is held by ${current.Spec?.Labels?.[L.holder] ?? "another holder"} now`);
    })().catch((err: unknown) => {
      if (lost) return;
      if (err instanceof LeaseLostError) {
        // Lost for good: renewing it again would only say so again.
        lost = err;
        clearInterval(timer);
      }
      onError?.(err instanceof Error ? err : new Error(String(err)));
    });
  }, (ttl * 1000) / 3);
  timer.unref();
  return {
    holder,
    // Not renewed for as long as it lasts (a stalled process, an engine that did not answer): another may hold it now.
    lost: () => lost ?? (Date.now() - renewedAt >= ttl * 1000 ? new LeaseLostError(instance, `not renewed for ${ttl} s`) : undefined),
    async release() {
      clearInterval(timer);
      const current = await inspect(docker, id);
      // Another acquisition's (another process's, or this one's taken again since): not ours to remove.
      if (current?.Spec?.Labels?.[L.token] !== token) return;
      await docker
        .getConfig(id)
        .remove()
        .catch((err: unknown) => {
          if (engineStatus(err) !== 404) throw err;
        });
    },
  };
}

function leaseLabels(instance: string, holder: string, token: string, now: Date, ttl: number): Record<string, string> {
  // `until` is for people reading the labels; expiry is decided from the config's UpdatedAt.
  return { [L.instance]: instance, [L.role]: "lock", [L.holder]: holder, [L.since]: now.toISOString(), [L.until]: new Date(now.getTime() + ttl * 1000).toISOString(), [L.ttl]: String(ttl), [L.host]: os.hostname(), [L.pid]: String(process.pid), [L.token]: token };
}

async function inspect(docker: Docker, idOrName: string): Promise<ConfigInfo | undefined> {
  try {
    return (await docker.getConfig(idOrName).inspect()) as ConfigInfo;
  } catch (err) {
    if (engineStatus(err) === 404) return undefined;
    throw err;
  }
}

/** Swarm allows only the labels of a config to change; the rest of the spec is sent as read. */
async function update(docker: Docker, current: ConfigInfo, labels: Record<string, string>): Promise<void> {
  await docker.getConfig(current.ID).update({ version: current.Version?.Index ?? 0, Name: current.Spec?.Name, Data: current.Spec?.Data, Labels: labels });
}

