#!/usr/bin/env node
import { Command, Option } from "commander";
import { registerCommands } from "./commands";

/** Exit codes: 0 ok, 1 error; `plan --detailed-exitcode` adds 2 for pending changes. */
export function buildProgram(): Command {
  const program = new Command();
  program
    .name("simulium")
    .description("GitOps controller for Drupal + CiviCRM sites on Docker Swarm")
    .version(require("../../package.json").version as string)
    .addOption(new Option("--log-format <format>", "log output format").choices(["json", "pretty"]))
    .option("--log-level <level>", "log level (trace, debug, info, warn, error)")
    .showHelpAfterError();
  registerCommands(program);
  return program;
}

if (require.main === module) {
  buildProgram()
    .parseAsync(process.argv)
    .catch((err: unknown) => {
      process.stderr.write(`simulium: ${err instanceof Error ? err.message : String(err)}\n`);
      process.exit(1);
    });
}
