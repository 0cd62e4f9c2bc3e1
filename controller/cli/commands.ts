import { Command } from "commander";

/**
 * Every command lives in its own file and exports `register(program)`; this list is the
 * one place that wires them in.
 */
const modules: Array<{ register: (program: Command) => void }> = [];

export function registerCommands(program: Command): void {
  for (const m of modules) m.register(program);
}
