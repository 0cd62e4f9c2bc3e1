import { createHash } from "node:crypto";

/**
 * The pure half of Varnish's admin CLI protocol (varnish-cli(7)): framing, authentication,
 * command encoding and the parsing of JSON answers. No sockets here.
 */

export interface CliResponse {
  /** 200 ok; 107 authentication required; 1xx/3xx/4xx/5xx errors (see VarnishCommandError). */
  readonly status: number;
  readonly body: string;
}

export const CLI_OK = 200;
export const CLI_AUTH = 107;
/** vcl.inline answers 106 (bad parameter) when VCC rejects the VCL. */
export const CLI_PARAM = 106;

/**
 * Splits complete responses off the front of a byte buffer. Each is a 13-byte header
 * `"<status> <length>\n"` (space padded), `length` bytes of body and a newline. Bytes are counted,
 * not characters, so a body with UTF-8 text is cut at the right place.
 */
export function takeResponses(buf: Buffer): { responses: CliResponse[]; rest: Buffer } {
  const responses: CliResponse[] = [];
  let at = 0;
  for (;;) {
    const nl = buf.indexOf(0x0a, at);
    if (nl < 0) break;
    const head = /^(\d{3}) +(\d+) *$/.exec(buf.toString("latin1", at, nl));
    if (head === null) throw new CliProtocolError(`malformed response header ${JSON.stringify(buf.toString("latin1", at, Math.min(nl, at + 40)))}`);
    const length = Number(head[2]);
    const bodyStart = nl + 1;
    if (buf.length < bodyStart + length + 1) break;
    responses.push({ status: Number(head[1]), body: buf.toString("utf8", bodyStart, bodyStart + length) });
    at = bodyStart + length + 1;
  }
  return { responses, rest: buf.subarray(at) };
}

export class CliProtocolError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "CliProtocolError";
  }
}

/**
 * The answer to a 107 challenge: SHA-256 over challenge, newline, the secret file's bytes as-is
 * (its trailing newline included), challenge, newline. The challenge is the body's first line.
 */
export function authCommand(challengeBody: string, secret: Buffer): string {
  const challenge = challengeBody.split("\n", 1)[0] ?? "";
  if (!/^[a-z]{32}$/.test(challenge)) throw new CliProtocolError("unexpected authentication challenge");
  const digest = createHash("sha256").update(`${challenge}\n`).update(secret).update(`${challenge}\n`).digest("hex");
  return `auth ${digest}\n`;
}

/** Names and flags only: the CLI tokenises on spaces and quotes, and none of ours needs quoting. */
const PLAIN_ARG = /^[A-Za-z0-9_.*:-]+$/;

/** One command line; throws if an argument would need quoting (it never should for ours). */
export function encodeCommand(verb: string, ...args: readonly string[]): string {
  for (const a of [verb, ...args]) {
    if (!PLAIN_ARG.test(a)) throw new CliProtocolError(`refusing to send argument ${JSON.stringify(a.slice(0, 40))}`);
  }
  return `${[verb, ...args].join(" ")}\n`;
}

/**
 * A command whose last argument is a here-document: `verb args << MARKER\n<body>\nMARKER\n`.
 * The marker is chosen so that it does not occur anywhere in the body.
 */
export function encodeHeredoc(verb: string, args: readonly string[], body: string): string {
  const head = encodeCommand(verb, ...args).slice(0, -1);
  let marker = "SIMULIUM_VCL_END";
  for (let n = 1; body.includes(marker); n++) marker = `SIMULIUM_VCL_END_${n}`;
  const text = body.endsWith("\n") ? body : `${body}\n`;
  return `${head} << ${marker}\n${text}${marker}\n`;
}

export type VclStatus = "active" | "available" | "discarded";

export interface VclListEntry {
  readonly name: string;
  readonly status: VclStatus;
  /** `auto`, `cold` or `warm`: what the operator asked for. */
  readonly state: string;
  /** `init`, `cold`, `warm`, `busy`, `cooling`: where the VCL actually is. */
  readonly temperature: string;
  /** Requests still running on it. */
  readonly busy: number;
  /** For a label (`vcl.label`): the configuration it points at. */
  readonly target?: string;
}

/** `vcl.list -j`, in Varnish's order (the order configurations were loaded). */
export function parseVclList(body: string): VclListEntry[] {
  return jsonItems(body, "vcl.list").map((item) => {
    const o = asRecord(item, "vcl.list entry");
    const status = str(o.status, "status");
    if (status !== "active" && status !== "available" && status !== "discarded") {
      throw new CliProtocolError(`vcl.list: unknown status ${JSON.stringify(status)}`);
    }
    return {
      name: str(o.name, "name"),
      status,
      state: str(o.state, "state"),
      temperature: str(o.temperature, "temperature"),
      busy: typeof o.busy === "number" ? o.busy : 0,
      ...labelTarget(o.label),
    };
  });
}

function labelTarget(label: unknown): { target?: string } {
  if (typeof label !== "object" || label === null || Array.isArray(label)) return {};
  const name = (label as Record<string, unknown>).name;
  return typeof name === "string" ? { target: name } : {};
}

export interface BackendListEntry {
  /** The VCL the backend belongs to. */
  readonly vcl: string;
  readonly name: string;
  /** `backend`, or a director type such as `round-robin`. */
  readonly type: string;
  /** `probe` (health from the probe), `healthy` or `sick` (forced by an operator). */
  readonly adminHealth: string;
  readonly health: "healthy" | "sick" | "unknown";
  /** Good probes in the window, when probed. */
  readonly probe?: { readonly good: number; readonly window: number };
}

/** `backend.list -j -p`: keyed `<vcl>.<backend>`. */
export function parseBackendList(body: string): BackendListEntry[] {
  const items = jsonItems(body, "backend.list");
  const map = items.length === 0 ? {} : asRecord(items[0], "backend.list");
  return Object.entries(map)
    .map(([key, value]): BackendListEntry => {
      const o = asRecord(value, key);
      const dot = key.indexOf(".");
      const msg = o.probe_message;
      const text = Array.isArray(msg) ? msg[2] : msg;
      const health = typeof text === "string" && /\bhealthy\b/.test(text) ? "healthy" : typeof text === "string" && /\bsick\b/.test(text) ? "sick" : "unknown";
      const probe =
        Array.isArray(msg) && typeof msg[0] === "number" && typeof msg[1] === "number" ? { good: msg[0], window: msg[1] } : undefined;
      return {
        vcl: dot < 0 ? "" : key.slice(0, dot),
        name: dot < 0 ? key : key.slice(dot + 1),
        type: typeof o.type === "string" ? o.type : "backend",
        adminHealth: typeof o.admin_health === "string" ? o.admin_health : "",
        health,
        ...(probe === undefined ? {} : { probe }),
      };
    })
    .sort((a, b) => (a.vcl + "." + a.name < b.vcl + "." + b.name ? -1 : 1));
}

/** `-j` answers are `[version, [command...], timestamp, item...]`. */
function jsonItems(body: string, what: string): unknown[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    throw new CliProtocolError(`${what}: answer is not JSON`);
  }
  if (!Array.isArray(parsed) || parsed.length < 3) throw new CliProtocolError(`${what}: unexpected JSON shape`);
  return parsed.slice(3);
}

function asRecord(v: unknown, what: string): Record<string, unknown> {
  if (typeof v !== "object" || v === null || Array.isArray(v)) throw new CliProtocolError(`${what}: expected an object`);
  return v as Record<string, unknown>;
}

function str(v: unknown, field: string): string {
  if (typeof v !== "string") throw new CliProtocolError(`vcl.list: field ${field} is not a string`);
  return v;
}
