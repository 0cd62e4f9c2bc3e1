import { Command } from "commander";

/** The options every command that reads the manifests and the swarm shares. */
export interface RepoOptions {
  repo: string;
  instance?: string;
  stateDir?: string;
  sealingKeyFile?: string;
}

export interface SiteSelection {
  site: string[];
}

/**
 * --repo, --instance, --state-dir and --sealing-key-file (and --site when the command can be limited to some
 * sites), declared once so plan, apply and status read the same repository, instance and
 * Varnish admin secret the same way.
 */
export function withRepoOptions(cmd: Command, opts: { siteSelection?: boolean } = {}): Command {
  cmd
    .option("--repo <dir>", "manifests repository (a working tree)", ".")
    .option("--instance <name>", "controller instance (overrides simulium.yaml)")
    .option("--state-dir <dir>", "controller state (the Varnish admin secret); default $SIMULIUM_STATE_DIR or /var/lib/simulium")
    .option("--sealing-key-file <file>", "age identity that decrypts sealed secrets; default $SIMULIUM_SEALING_KEY_FILE");
  if (opts.siteSelection) cmd.option("--site <name...>", "only these sites", []);
  return cmd;
}
