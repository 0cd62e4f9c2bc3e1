#!/usr/bin/env node
// First: the compiled code of every module imported after it is cached between runs.
import "./compile-cache";
import { Command, Option } from "commander";
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { registerCommands } from "./commands";

/** The version in package.json, found upwards from here (the source tree or dist/). */
function packageVersion(): string {
  for (let dir = __dirname; dir !== path.dirname(dir); dir = path.dirname(dir)) {
    const file = path.join(dir, "package.json");
    if (existsSync(file)) return (JSON.parse(readFileSync(file, "utf8")) as { version: string }).version;
  }
  return "unknown";
}

/**
 * Exit codes: 0 ok, 1 error; `plan --detailed-exitcode` adds 2 for pending changes. With argv,
 * only the command it names is registered (commands.ts); without, every command (help, tests).
 */
export function buildProgram(argv?: readonly string[]): Command {
  const program = new Command();
  program
    .name("simulium")
    .description("GitOps controller for Drupal + CiviCRM sites on Docker Swarm")
    .version(packageVersion())
    .addOption(new Option("--log-format <format>", "log output format").choices(["json", "pretty"]))
    .option("--log-level <level>", "log level (trace, debug, info, warn, error)")
    .showHelpAfterError()
    .addHelpText("after", "\nExample:\n  $ simulium validate --repo ~/sites && simulium plan --repo ~/sites\n  $ simulium apply --repo ~/sites --yes\n  $ simulium <command> --help   # each command with an example\n");
  registerCommands(program, argv);
  return program;
}

if (require.main === module) {
  buildProgram(process.argv)
    .parseAsync(process.argv)
    .catch((err: unknown) => {
      process.stderr.write(`simulium: ${err instanceof Error ? err.message : String(err)}\n`);
      process.exit(1);
    });
}
