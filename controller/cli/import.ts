import { Command, InvalidArgumentError } from "commander";
import { PREVIOUS_SUFFIX } from "../database/load-swap";
import { connectDocker } from "../engine/docker";
import { loadRegistryAuth } from "../engine/registry-auth";
import { loadRepo } from "../manifests/load";
import { effectiveCluster } from "../reconcile/pipeline";
import { readDumpInput, readFilesInput } from "../siteimport/inputs";
import { planImport } from "../siteimport/plan";
import { importSite } from "../siteimport/run-import";
import { resolveStateDir } from "../routing/admin-secret";
import { routingLine } from "../routing/after-move";
import { loggerFor } from "./context";

interface ImportCliOptions {
  repo: string;
  instance?: string;
  stateDir?: string;
  db?: string;
  files?: string;
  volume?: string;
  image?: string;
  timeout: string;
}

/**
 * `simulium import SITE --db DUMP [--files DIR_OR_TAR --volume NAME]`: moves an existing
 * site's database and files into an applied site, from the node it runs on. The dump loads
 * into a staging schema and is swapped in whole; the files are unpacked beside the old ones
 * and moved in place; web is scaled to 0 meanwhile, and routing is re-synced to its new
 * tasks before it returns.
 */
export function register(program: Command): void {
  program
    .command("import")
    .description("load an existing site's database dump and files into an applied site (run on the node the site runs on)")
    .addHelpText("after", "\nExample:\n  $ simulium import acme --db acme.sql.gz --files files.tar.gz --repo ~/sites\n")
    .argument("<site>", "the site (its manifest applied)")
    .option("--db <dump>", "database dump: .sql or .sql.gz (mariadb-dump/mysqldump of one database)")
    .option("--files <dir-or-tar>", "files: a directory, or a .tar/.tar.gz whose members are relative to the volume root")
    .option("--volume <name>", "the volume (spec.volumes) the files go into; default the site's first volume")
    .option("--image <ref>", "tools image (MariaDB client, gzip, tar, rsync); default simulium.yaml spec.backup.image")
    .option("--repo <dir>", "manifests repository (a working tree)", ".")
    .option("--instance <name>", "controller instance (overrides simulium.yaml)")
    .option("--state-dir <dir>", "controller state (the Varnish admin secret, to re-sync routing); default $SIMULIUM_STATE_DIR or /var/lib/simulium")
    .option("--timeout <seconds>", "stop the import job after this long", "3600")
    .action(async (siteName: string, opts: ImportCliOptions, cmd: Command) => {
      const timeout = Number(opts.timeout);
      if (!Number.isInteger(timeout) || timeout < 1) throw new InvalidArgumentError("--timeout must be whole seconds");
      const log = loggerFor(cmd);
      const load = await loadRepo(opts.repo);
      const cluster = effectiveCluster(load, opts.instance);
      const plan = planImport(load, cluster, { site: siteName, repo: opts.repo, db: opts.db, files: opts.files, volume: opts.volume, image: opts.image });
      const dump = opts.db !== undefined ? await readDumpInput(opts.db) : undefined;
      const files = opts.files !== undefined ? await readFilesInput(opts.files) : undefined;
      const auth = (await loadRegistryAuth(cluster.registryAuth?.configFile))(plan.image);
      const result = await importSite(connectDocker(), plan, { ...(dump ? { dump } : {}), ...(files ? { files } : {}) }, {
        timeoutSeconds: timeout,
        log,
        ...(auth ? { auth } : {}),
        onOutput: (text) => process.stderr.write(text),
        routing: { cluster, sites: load.sites, invalidSites: load.invalidSites, stateDir: resolveStateDir(opts.stateDir), log },
      });
      const done = [
        ...(dump && plan.site.database ? [`database ${plan.site.database.name} swapped in (the tables it replaced are in ${plan.site.database.name}${PREVIOUS_SUFFIX})`] : []),
        ...(plan.volume ? [`files of volume ${plan.volume} replaced`] : []),
      ];
      log.info({ site: siteName, db: dump !== undefined, volume: plan.volume }, "audit: site imported");
      process.stdout.write(`${siteName} imported: ${done.join("; ")}\n`);
      process.stdout.write(`${routingLine(result.routing ?? null)}\n`);
      if (result.routing && !result.routing.ok) process.exitCode = 1;
    });
}
