import { Command } from "commander";
import * as apply from "./apply";
import * as backup from "./backup";
import * as backups from "./backups";
import * as compose from "./compose";
import * as credentials from "./credentials";
import * as cron from "./cron";
import * as drushAliases from "./drush-aliases";
import * as exec from "./exec";
import * as history from "./history";
import * as importSite from "./import";
import * as logs from "./logs";
import * as move from "./move";
import * as newSite from "./new";
import * as plan from "./plan";
import * as restore from "./restore";
import * as run from "./run";
import * as seal from "./seal";
import * as state from "./state";
import * as status from "./status";
import * as sync from "./sync";
import * as validate from "./validate";

/**
 * Every command lives in its own file and exports `register(program)`; this list is the
 * one place that wires them in.
 */
const modules: Array<{ register: (program: Command) => void }> = [plan, apply, status, validate, run, history, seal, exec, newSite, compose, cron, backup, backups, restore, sync, credentials, importSite, move, state, logs, drushAliases];

export function registerCommands(program: Command): void {
  for (const m of modules) m.register(program);
}
