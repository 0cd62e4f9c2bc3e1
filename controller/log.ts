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
    return pino({ level }, pretty({ destination: 2, sync: true, ...prettyOptions(process.env, process.stderr.isTTY === true) }));
  }
  return pino({ level }, pino.destination({ dest: 2, sync: true }));
}

/**
 * One line per event (`12:04:31 INFO: reconcile finished {"durationSeconds":4.2,...}`), colours
 * only on a terminal and never with NO_COLOR set (https://no-color.org). Pure.
 */
export function prettyOptions(env: NodeJS.ProcessEnv, tty: boolean): { colorize: boolean; singleLine: true; translateTime: string; ignore: string } {
  const noColor = env.NO_COLOR !== undefined && env.NO_COLOR !== "";
  return { colorize: tty && !noColor, singleLine: true, translateTime: "SYS:HH:MM:ss", ignore: "pid,hostname" };
}
