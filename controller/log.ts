import pino, { Logger } from "pino";

export type LogFormat = "json" | "pretty";
export type { Logger };

/**
 * JSON lines by default (for log shippers); human-readable when stderr is a terminal
 * or when asked. Logs go to stderr so stdout stays clean for command output (plans, JSON).
 */
export function createLogger(opts: { format?: LogFormat; level?: string } = {}): Logger {
  const format = opts.format ?? (process.stderr.isTTY ? "pretty" : "json");
  const level = opts.level ?? process.env.SIMULIUM_LOG_LEVEL ?? "info";
  if (format === "pretty") {
    // pino-pretty as a synchronous stream: a CLI that exits right after logging must not lose lines.
    // eslint-disable-next-line @typescript-eslint/no-var-requires
    const pretty = require("pino-pretty") as (o: object) => NodeJS.WritableStream;
    return pino({ level }, pretty({ destination: 2, sync: true, colorize: process.stderr.isTTY, ignore: "pid,hostname" }));
  }
  return pino({ level }, pino.destination({ dest: 2, sync: true }));
}
