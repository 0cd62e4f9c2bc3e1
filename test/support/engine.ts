import { readdirSync, readFileSync, readlinkSync, realpathSync } from "node:fs";

/**
 * Which dockerd is the harness's engine, when several run on one machine (multi-node tests start
 * more). harness/engine.sh starts its engine with `--pidfile` at this path (dockerd's default);
 * the engine is the dockerd whose pid that file holds AND that listens on the socket the tests
 * talk to, so a stale file or another engine is never mistaken for it.
 */
export const ENGINE_PIDFILE = "/var/run/docker.pid";

/** The harness's engine could not be identified; the message says what was found instead. */
export class EngineIdentityError extends Error {
  override readonly name = "EngineIdentityError";
}

export type EngineProcess = { pid: number; argv: string[] };

/** The unix socket the tests' Docker client uses (DOCKER_HOST=unix://..., or the default). */
export function engineSocket(env: NodeJS.ProcessEnv = process.env): string {
  const host = env.DOCKER_HOST ?? "";
  if (host === "") return "/var/run/docker.sock";
  if (!host.startsWith("unix://")) throw new EngineIdentityError(`DOCKER_HOST=${host} is not a local socket; no local engine process to identify`);
  return host.slice("unix://".length);
}

// __SO_ACCEPTCON in /proc/net/unix's Flags column: the socket listens.
const LISTENING = 0x10000;

/** Inodes of the listening unix sockets bound at `path` in a /proc/net/unix text (pure). */
export function listeningInodes(procNetUnix: string, isPath: (p: string) => boolean): number[] {
  const inodes: number[] = [];
  for (const line of procNetUnix.split("\n").slice(1)) {
    // Num RefCount Protocol Flags Type St Inode [Path]
    const cols = line.trim().split(/\s+/);
    if (cols.length < 8) continue;
    if ((parseInt(cols[3] ?? "0", 16) & LISTENING) === 0) continue;
    if (isPath(cols.slice(7).join(" "))) inodes.push(Number(cols[6]));
  }
  return inodes;
}

function samePath(a: string): (b: string) => boolean {
  const real = (p: string): string => {
    try {
      return realpathSync(p);
    } catch {
      return p;
    }
  };
  const want = real(a);
  return (b) => b === a || real(b) === want;
}

/** Pids of every process holding a listening socket bound at `path`. */
export function socketOwners(path: string): number[] {
  const inodes = new Set(listeningInodes(readFileSync("/proc/net/unix", "utf8"), samePath(path)).map((i) => `socket:[${i}]`));
  if (inodes.size === 0) return [];
  const owners: number[] = [];
  for (const pid of processIds()) {
    let fds: string[];
    try {
      fds = readdirSync(`/proc/${pid}/fd`);
    } catch {
      continue;
    }
    if (fds.some((fd) => inodes.has(linkOf(`/proc/${pid}/fd/${fd}`)))) owners.push(pid);
  }
  return owners;
}

function linkOf(path: string): string {
  try {
    return readlinkSync(path);
  } catch {
    return "";
  }
}

function processIds(): number[] {
  return readdirSync("/proc").filter((n) => /^\d+$/.test(n)).map(Number);
}

function readProc(pid: number, file: string): string | undefined {
  try {
    return readFileSync(`/proc/${pid}/${file}`, "utf8");
  } catch {
    return undefined;
  }
}

/** Every running dockerd on this machine, the harness's and any other. */
export function dockerdPids(): number[] {
  return processIds().filter((pid) => readProc(pid, "comm")?.trim() === "dockerd");
}

export function isAlive(pid: number): boolean {
  // A zombie still answers kill(0); its state in /proc/PID/stat says it is gone.
  const stat = readProc(pid, "stat");
  return stat !== undefined && !/^\d+ \(.*\) [ZX]/.test(stat);
}

/**
 * The harness's engine: the pid in ENGINE_PIDFILE, a live dockerd, listening on the tests' socket.
 * Undefined when no engine runs at all; EngineIdentityError when something else is found.
 */
export function harnessEngine(): EngineProcess | undefined {
  const socket = engineSocket();
  let text: string;
  try {
    text = readFileSync(ENGINE_PIDFILE, "utf8").trim();
  } catch {
    if (socketOwners(socket).length === 0) return undefined;
    throw new EngineIdentityError(`something listens on ${socket} but ${ENGINE_PIDFILE} is missing: not an engine harness/engine.sh started`);
  }
  const pid = Number(text);
  if (!Number.isInteger(pid) || pid <= 0) throw new EngineIdentityError(`${ENGINE_PIDFILE} holds '${text}', not a pid`);
  if (!isAlive(pid)) {
    if (socketOwners(socket).length === 0) return undefined;
    throw new EngineIdentityError(`${ENGINE_PIDFILE} names pid ${pid}, which is gone, yet something listens on ${socket}`);
  }
  const comm = readProc(pid, "comm")?.trim();
  if (comm !== "dockerd") throw new EngineIdentityError(`${ENGINE_PIDFILE} names pid ${pid}, which is '${comm ?? "?"}', not dockerd`);
  const owners = socketOwners(socket);
  if (!owners.includes(pid)) {
    throw new EngineIdentityError(`dockerd ${pid} (${ENGINE_PIDFILE}) does not listen on ${socket}; its owners: ${owners.join(", ") || "none"}`);
  }
  const argv = (readProc(pid, "cmdline") ?? "").split("\0").filter((a) => a !== "");
  return { pid, argv };
}
