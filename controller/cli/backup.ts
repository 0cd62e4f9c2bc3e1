import { Command } from "commander";
import { loadBackupTarget } from "../backup/target";
import { recordBackup } from "../backup/record";
import { backupSite } from "../backup/run";
import { resolveStateDir } from "../routing/admin-secret";
import { connectDocker } from "../engine/docker";
import { commitOf } from "../source/commit";
import { loggerFor } from "./context";
import { RepoOptions, withRepoOptions } from "./repo-options";

interface BackupCliOptions extends RepoOptions {
  timeout?: string;
  json?: boolean;
}

/** `simulium backup SITE`: one backup run now, exactly as the schedule runs it (same tags, same retention). */
export function register(program: Command): void {
  withRepoOptions(program.command("backup"))
    .description("back up a site now (database dump and volumes into its restic repository), then apply its retention")
    .addHelpText("after", "\nExample:\n  $ simulium backup acme --repo ~/sites --state-dir /var/lib/simulium\n")
    .argument("<site>", "the site")
    .option("--timeout <seconds>", "stop the job after this long", "3600")
    .option("--json", "print the result as JSON")
    .action(async (siteName: string, opts: BackupCliOptions, cmd: Command) => {
      const log = loggerFor(cmd);
      const target = await loadBackupTarget(opts, siteName);
      const commit = await commitOf(opts.repo).catch(() => undefined);
      const result = await backupSite(connectDocker(), target, {
        timeoutSeconds: Number(opts.timeout),
        ...(commit ? { commit } : {}),
        ...(opts.json ? {} : { onOutput: (text: string) => process.stderr.write(text) }),
      });
      const stateDir = resolveStateDir(opts.stateDir);
      const instance = target.cluster.instance;
      recordBackup(stateDir, instance, siteName, result);
      log.info({ site: siteName, run: result.run, ok: result.ok, exitCode: result.exitCode, durationSeconds: result.durationSeconds }, "audit: backup ran");
      if (opts.json) process.stdout.write(JSON.stringify(result, null, 2) + "\n");
      else process.stdout.write(`${result.message}\n`);
      if (!result.ok) process.exitCode = 1;
    });
}
