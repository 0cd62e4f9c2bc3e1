import { Command } from "commander";
import { createLogger, LogFormat, Logger } from "../log";

/** Global options shared by every command (set on the root program). */
export function loggerFor(cmd: Command): Logger {
  const root = rootOf(cmd);
  const opts = root.opts<{ logFormat?: LogFormat; logLevel?: string }>();
  return createLogger({ format: opts.logFormat, level: opts.logLevel });
}

function rootOf(cmd: Command): Command {
  let c = cmd;
  while (c.parent) c = c.parent;
  return c;
}
