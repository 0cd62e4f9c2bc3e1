import { Command } from "commander";
import { restoreSite } from "../backup/restore";
import { loadBackupTarget } from "../backup/target";
import { loadAndSwapScript } from "../database/load-swap";
import { connectDocker } from "../engine/docker";
import { routingLine } from "../routing/after-move";
import { loggerFor } from "./context";
import { repoRouting } from "./move-routing";
import { RepoOptions, withRepoOptions } from "./repo-options";

interface RestoreCliOptions extends RepoOptions {
  from: string;
  timeout?: string;
}

/**
 * `simulium restore SITE --from SNAPSHOT|latest`: verifies the backup first and refuses one
 * that fails without touching the site; then web down, database and volumes back, web up,
 * and routing re-synced to web's new tasks before it returns.
 */
export function register(program: Command): void {
  withRepoOptions(program.command("restore"))
    .description("restore a site's database and volumes from a backup run (verified first; web is scaled to 0 meanwhile)")
    .addHelpText("after", "\nExample:\n  $ simulium restore acme --from latest --repo ~/sites --state-dir /var/lib/simulium\n")
    .argument("<site>", "the site")
    .requiredOption("--from <snapshot>", "latest, a run id, or a snapshot id from simulium backups")
    .option("--timeout <seconds>", "stop each job after this long", "3600")
    .action(async (siteName: string, opts: RestoreCliOptions, cmd: Command) => {
      const log = loggerFor(cmd);
      const target = await loadBackupTarget(opts, siteName);
      const result = await restoreSite(connectDocker(), target, {
        from: opts.from,
        loadSwapScript: loadAndSwapScript(),
        timeoutSeconds: Number(opts.timeout),
        log,
        onOutput: (text) => process.stderr.write(text),
        routing: await repoRouting(opts, log),
      });
      log.info({ site: siteName, run: result.run.run }, "audit: site restored from backup");
      process.stdout.write(`${siteName} restored from backup run ${result.run.run} (${result.run.snapshots.map((s) => `${s.kind}=${s.shortId}`).join(" ")})\n`);
      process.stdout.write(`${routingLine(result.routing ?? null)}\n`);
      if (result.routing && !result.routing.ok) process.exitCode = 1;
    });
}
