import { Command } from "commander";
import { renderRuns } from "../backup/render";
import { listRuns } from "../backup/run";
import { loadBackupTarget } from "../backup/target";
import { connectDocker } from "../engine/docker";
import { RepoOptions, withRepoOptions } from "./repo-options";

interface BackupsCliOptions extends RepoOptions {
  json?: boolean;
}

/** `simulium backups SITE`: the site's backup runs (time, commit, size, snapshot ids), newest first. */
export function register(program: Command): void {
  withRepoOptions(program.command("backups"))
    .description("list a site's backups: time, commit, size and the snapshot ids of each run")
    .addHelpText("after", "\nExample:\n  $ simulium backups acme --repo ~/sites --json\n")
    .argument("<site>", "the site")
    .option("--json", "print the runs as JSON")
    .action(async (siteName: string, opts: BackupsCliOptions) => {
      const target = await loadBackupTarget(opts, siteName);
      const runs = await listRuns(connectDocker(), target);
      process.stdout.write(opts.json ? JSON.stringify(runs, null, 2) + "\n" : renderRuns(siteName, runs));
    });
}
