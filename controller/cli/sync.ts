import { Command } from "commander";
import { syncEnds, syncSite } from "../backup/sync";
import { loadBackupTarget } from "../backup/target";
import { loadAndSwapScript } from "../database/load-swap";
import type { ServiceSpec } from "../desired/types";
import { connectDocker } from "../engine/docker";
import { loadRepo } from "../manifests/load";
import { PRODUCTION } from "../manifests/environments";
import { routingLine } from "../routing/after-move";
import { loggerFor } from "./context";
import { repoRouting } from "./move-routing";
import { RepoOptions, withRepoOptions } from "./repo-options";

interface SyncCliOptions extends RepoOptions {
  from: string;
  to: string;
  intoProduction?: boolean;
  sanitise?: string;
  timeout: string;
}

/**
 * `simulium sync SITE --from ENV --to ENV`: the source's database and files into the target,
 * through a fresh backup of the source and a verified restore of the target; `prod` is the
 * site itself, and is never a target without --into-production.
 */
export function register(program: Command): void {
  withRepoOptions(program.command("sync"))
    .description(`copy a site's database and files from one environment to another (${PRODUCTION} is the site itself), through a fresh backup and a verified restore`)
    .addHelpText("after", `\nExample:\n  $ simulium sync acme --from ${PRODUCTION} --to staging --sanitise "drush sql-sanitize -y" --repo ~/sites\n`)
    .argument("<site>", "the site")
    .requiredOption("--from <env>", `the environment copied (${PRODUCTION}: the site itself)`)
    .requiredOption("--to <env>", "the environment overwritten")
    .option("--into-production", `allow --to ${PRODUCTION}: overwrite the live site's data`)
    .option("--sanitise <command>", "a shell command run in the target's web image after the load, before it serves again")
    .option("--timeout <seconds>", "stop each job after this long", "3600")
    .action(async (siteName: string, opts: SyncCliOptions, cmd: Command) => {
      const log = loggerFor(cmd);
      const ends = syncEnds(await loadRepo(opts.repo), siteName, opts.from, opts.to, opts.intoProduction === true);
      const docker = connectDocker();
      const source = await loadBackupTarget(opts, ends.source.name, docker);
      const target = await loadBackupTarget(opts, ends.target.name, docker);
      const targetWeb = target.rendered.find((r): r is ServiceSpec => r.kind === "service" && r.role === "web" && r.site === ends.target.name);
      const result = await syncSite(docker, source, target, {
        loadSwapScript: loadAndSwapScript(),
        ...(opts.sanitise !== undefined ? { sanitise: ["sh", "-c", opts.sanitise] } : {}),
        ...(targetWeb ? { targetWeb } : {}),
        timeoutSeconds: Number(opts.timeout),
        log,
        onOutput: (text) => process.stderr.write(text),
        routing: await repoRouting(opts, log),
      });
      log.info({ site: siteName, from: ends.source.name, to: ends.target.name, run: result.run, sanitised: result.sanitised }, "audit: environment synced");
      process.stdout.write(`${ends.target.name} now has the database and files of ${ends.source.name} (backup run ${result.run})${result.sanitised ? ", sanitised" : ""}\n`);
      process.stdout.write(`${routingLine(result.restore.routing ?? null)}\n`);
      if (result.restore.routing && !result.restore.routing.ok) process.exitCode = 1;
    });
}
