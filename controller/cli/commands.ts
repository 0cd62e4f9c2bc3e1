import { Command } from "commander";

interface CommandModule {
  register(program: Command): void;
}

/**
 * Every command lives in its own file and exports `register(program)`; this list is the one
 * place that wires them in, by the name each registers, in the order help lists them. A
 * module is required only when its command is registered: a process runs one command, and
 * `simulium run` (which stays up) would otherwise hold the code of the twenty others
 * (50 of its 420 modules, 1.5 MB of its memory after start). `typeof import`
 * keeps each file in the compilation (and type-checks its `register`) while the code requires
 * it lazily.
 */
const COMMANDS: ReadonlyArray<readonly [string, () => CommandModule]> = [
  ["plan", () => require("./plan") as typeof import("./plan")],
  ["apply", () => require("./apply") as typeof import("./apply")],
  ["status", () => require("./status") as typeof import("./status")],
  ["validate", () => require("./validate") as typeof import("./validate")],
  ["run", () => require("./run") as typeof import("./run")],
  ["history", () => require("./history") as typeof import("./history")],
  ["seal", () => require("./seal") as typeof import("./seal")],
  ["exec", () => require("./exec") as typeof import("./exec")],
  ["new", () => require("./new") as typeof import("./new")],
  ["compose", () => require("./compose") as typeof import("./compose")],
  ["cron", () => require("./cron") as typeof import("./cron")],
  ["backup", () => require("./backup") as typeof import("./backup")],
  ["backups", () => require("./backups") as typeof import("./backups")],
  ["restore", () => require("./restore") as typeof import("./restore")],
  ["sync", () => require("./sync") as typeof import("./sync")],
  ["credentials", () => require("./credentials") as typeof import("./credentials")],
  ["import", () => require("./import") as typeof import("./import")],
  ["move", () => require("./move") as typeof import("./move")],
  ["state", () => require("./state") as typeof import("./state")],
  ["logs", () => require("./logs") as typeof import("./logs")],
  ["drush-aliases", () => require("./drush-aliases") as typeof import("./drush-aliases")],
];

/** The program's own options that take a value (main.ts): the word after them is not a command. */
const GLOBAL_OPTIONS_WITH_VALUE: readonly string[] = ["--log-format", "--log-level"];

/**
 * The command a command line names (node's argv: node, script, then the arguments), or
 * undefined when it names none before `--` (help, --version, a mistyped word still get every
 * command: help lists them, commander suggests the nearest). Pure.
 */
export function commandNamed(argv: readonly string[]): string | undefined {
  for (let i = 2; i < argv.length; i++) {
    const arg = argv[i] ?? "";
    if (arg === "--") return undefined;
    if (GLOBAL_OPTIONS_WITH_VALUE.includes(arg)) i++;
    else if (!arg.startsWith("-")) return COMMANDS.some(([name]) => name === arg) ? arg : undefined;
  }
  return undefined;
}

/** Every command, or with argv only the one it names (the others' modules are never loaded). */
export function registerCommands(program: Command, argv?: readonly string[]): void {
  const only = argv === undefined ? undefined : commandNamed(argv);
  for (const [name, load] of COMMANDS) if (only === undefined || name === only) load().register(program);
}
