/** `--listen` value: `host:port`, `[v6]:port` or `:port` (loopback). Pure. */
export interface ListenAddress {
  readonly host: string;
  readonly port: number;
}

export function parseListen(value: string): ListenAddress {
  const m = /^(?:\[([0-9a-fA-F:.]+)\]|([^:[\]]*)):(\d{1,5})$/.exec(value.trim());
  const port = m ? Number(m[3]) : NaN;
  if (!m || !Number.isInteger(port) || port > 65535) {
    throw new Error(`invalid listen address "${value}": expected host:port, e.g. 127.0.0.1:9090`);
  }
  // An empty host means loopback: exposing the status and webhook endpoints must be a decision.
  const host = m[1] ?? (m[2] === "" ? "127.0.0.1" : (m[2] as string));
  return { host, port };
}
