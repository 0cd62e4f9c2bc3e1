import { Socket } from "node:net";
import { VarnishAuthError, VarnishCommandError, VarnishConnectionError, VclCompileError } from "./admin-errors";
import type { ConnectionProblem } from "./admin-errors";
import {
  CLI_AUTH,
  CLI_OK,
  CLI_PARAM,
  CliProtocolError,
  authCommand,
  encodeCommand,
  encodeHeredoc,
  parseBackendList,
  parseVclList,
  takeResponses,
} from "./admin-protocol";
import type { BackendListEntry, CliResponse, VclListEntry } from "./admin-protocol";

export { VarnishAuthError, VarnishCommandError, VarnishConnectionError, VclCompileError } from "./admin-errors";
export type { BackendListEntry, VclListEntry, VclStatus } from "./admin-protocol";

/** One authenticated admin session with a varnishd (`-T host:port -S secretfile`). */
export interface VarnishAdmin {
  readonly endpoint: string;
  ping(): Promise<void>;
  /** Compiles and loads a VCL under `name`; throws VclCompileError when VCC rejects it. */
  vclInline(name: string, vcl: string): Promise<void>;
  vclUse(name: string): Promise<void>;
  /** Points `label` at the loaded configuration `name` (creating the label); atomic for requests. */
  vclLabel(label: string, name: string): Promise<void>;
  vclList(): Promise<VclListEntry[]>;
  vclDiscard(name: string): Promise<void>;
  /**
   * `auto`: warm while used, cold after vcl_cooldown; `cold`: its backends and probes stopped.
   * Warming again starts each probe over from its `.initial` (a freshly loaded VCL's health).
   */
  vclState(name: string, state: "auto" | "cold" | "warm"): Promise<void>;
  /** The source of a loaded configuration (its main file). */
  vclShow(name: string): Promise<string>;
  /** Backends of the active VCL (or of those matching `pattern`, e.g. `*.*`), with probe health. */
  backendList(pattern?: string): Promise<BackendListEntry[]>;
  close(): void;
}

export interface VarnishAdminOptions {
  readonly host: string;
  readonly port: number;
  /** The secret file's content as-is (the bytes varnishd -S reads); omit when varnishd has no -S. */
  readonly secret?: Buffer | string;
  /** Default 5 s. */
  readonly connectTimeoutMs?: number;
  /** Per command; a big VCL takes seconds to compile. Default 60 s. */
  readonly commandTimeoutMs?: number;
}

/** Connects, authenticates and returns a session. Close it when done. */
export async function connectVarnishAdmin(opts: VarnishAdminOptions): Promise<VarnishAdmin> {
  const endpoint = `${opts.host}:${opts.port}`;
  const conn = await openConnection(opts.host, opts.port, endpoint, opts.connectTimeoutMs ?? 5000);
  const commandTimeout = opts.commandTimeoutMs ?? 60_000;
  try {
    const banner = await conn.next(commandTimeout);
    if (banner.status === CLI_AUTH) {
      if (opts.secret === undefined) throw new VarnishAuthError(endpoint, "missing");
      const secret = typeof opts.secret === "string" ? Buffer.from(opts.secret, "utf8") : opts.secret;
      conn.write(authCommand(banner.body, secret));
      const answer = await conn.next(commandTimeout).catch((e: unknown) => {
        // varnishd answers a wrong secret with 500 and hangs up; a bare hang-up means the same.
        if (e instanceof VarnishConnectionError && e.problem === "closed") throw new VarnishAuthError(endpoint, "rejected");
        throw e;
      });
      if (answer.status !== CLI_OK) throw new VarnishAuthError(endpoint, "rejected");
    } else if (banner.status !== CLI_OK) {
      throw new VarnishConnectionError(endpoint, "protocol", `unexpected banner status ${banner.status}`);
    }
  } catch (e) {
    conn.destroy();
    throw e;
  }

  // The CLI answers strictly in order, one command at a time: chain them.
  let tail: Promise<unknown> = Promise.resolve();
  const run = (verb: string, line: string): Promise<string> => {
    const result = tail.then(async () => {
      conn.write(line);
      const r = await conn.next(commandTimeout);
      if (r.status === CLI_OK) return r.body;
      if (verb === "vcl.inline" && r.status === CLI_PARAM) throw new VclCompileError(r.status, r.body.trim());
      // 201: the answer exceeded varnishd's cli_limit and was cut.
      throw new VarnishCommandError(verb, r.status, r.status === 201 ? `answer truncated; raise varnishd's cli_limit` : r.body.trim());
    });
    tail = result.catch(() => undefined);
    return result;
  };

  return {
    endpoint,
    async ping() {
      await run("ping", encodeCommand("ping"));
    },
    async vclInline(name, vcl) {
      await run("vcl.inline", encodeHeredoc("vcl.inline", [name], vcl));
    },
    async vclUse(name) {
      await run("vcl.use", encodeCommand("vcl.use", name));
    },
    async vclLabel(label, name) {
      await run("vcl.label", encodeCommand("vcl.label", label, name));
    },
    async vclList() {
      return parsed("vcl.list", endpoint, parseVclList, await run("vcl.list", encodeCommand("vcl.list", "-j")));
    },
    async vclDiscard(name) {
      await run("vcl.discard", encodeCommand("vcl.discard", name));
    },
    async vclState(name, state) {
      await run("vcl.state", encodeCommand("vcl.state", name, state));
    },
    async vclShow(name) {
      return run("vcl.show", encodeCommand("vcl.show", name));
    },
    async backendList(pattern) {
      const args = pattern === undefined ? ["-j", "-p"] : ["-j", "-p", pattern];
      return parsed("backend.list", endpoint, parseBackendList, await run("backend.list", encodeCommand("backend.list", ...args)));
    },
    close() {
      conn.destroy();
    },
  };
}

function parsed<T>(what: string, endpoint: string, parse: (body: string) => T, body: string): T {
  try {
    return parse(body);
  } catch (e) {
    if (e instanceof CliProtocolError) throw new VarnishConnectionError(endpoint, "protocol", `${what}: ${e.message}`);
    throw e;
  }
}

interface Connection {
  write(data: string): void;
  /** The next response; rejects with VarnishConnectionError on close, error or timeout. */
  next(timeoutMs: number): Promise<CliResponse>;
  destroy(): void;
}

function openConnection(host: string, port: number, endpoint: string, connectTimeoutMs: number): Promise<Connection> {
  return new Promise((resolve, reject) => {
    const socket = new Socket();
    let buffer: Buffer = Buffer.alloc(0);
    const ready: CliResponse[] = [];
    let waiter: { resolve: (r: CliResponse) => void; reject: (e: Error) => void; timer: NodeJS.Timeout } | undefined;
    let failure: VarnishConnectionError | undefined;
    let connected = false;

    const fail = (problem: ConnectionProblem, detail: string): void => {
      failure ??= new VarnishConnectionError(endpoint, problem, detail);
      socket.destroy();
      if (!connected) reject(failure);
      if (waiter !== undefined) {
        clearTimeout(waiter.timer);
        waiter.reject(failure);
        waiter = undefined;
      }
    };
    const deliver = (): void => {
      if (waiter === undefined) return;
      const r = ready.shift();
      if (r === undefined) return;
      clearTimeout(waiter.timer);
      const w = waiter;
      waiter = undefined;
      w.resolve(r);
    };

    socket.on("data", (chunk: Buffer) => {
      buffer = Buffer.concat([buffer, chunk]);
      try {
        const { responses, rest } = takeResponses(buffer);
        buffer = rest;
        ready.push(...responses);
      } catch (e) {
        fail("protocol", e instanceof Error ? e.message : String(e));
        return;
      }
      deliver();
    });
    socket.on("close", () => {
      // Answers that arrived before the hang-up (e.g. varnishd's 500 to a wrong secret) still count.
      if (ready.length > 0) deliver();
      fail("closed", "connection closed by varnishd");
    });
    socket.on("error", (e: NodeJS.ErrnoException) => {
      const problem: ConnectionProblem = e.code === "ECONNREFUSED" ? "refused" : e.code === "EHOSTUNREACH" || e.code === "ENOTFOUND" ? "unreachable" : "closed";
      fail(problem, e.code ?? e.message);
    });

    const connectTimer = setTimeout(() => fail("timeout", `no connection within ${connectTimeoutMs} ms`), connectTimeoutMs);
    socket.on("close", () => clearTimeout(connectTimer));
    socket.connect(port, host, () => {
      clearTimeout(connectTimer);
      connected = true;
      resolve({
        write: (data) => {
          if (failure === undefined) socket.write(data);
        },
        next: (timeoutMs) =>
          new Promise<CliResponse>((res, rej) => {
            const r = ready.shift();
            if (r !== undefined) return res(r);
            if (failure !== undefined) return rej(failure);
            const timer = setTimeout(() => fail("timeout", `no answer within ${timeoutMs} ms`), timeoutMs);
            waiter = { resolve: res, reject: rej, timer };
          }),
        destroy: () => {
          failure ??= new VarnishConnectionError(endpoint, "closed", "session closed");
          socket.destroy();
        },
      });
    });
  });
}

