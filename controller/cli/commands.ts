import { Command } from "commander";
import * as apply from "./apply";
import * as history from "./history";
import * as plan from "./plan";
import * as run from "./run";
import * as status from "./status";
import * as validate from "./validate";

/**
 * Every command lives in its own file and exports `register(program)`; this list is the
 * one place that wires them in.
 */
const modules: Array<{ register: (program: Command) => void }> = [plan, apply, status, validate, run, history];

export function registerCommands(program: Command): void {
  for (const m of modules) m.register(program);
}
