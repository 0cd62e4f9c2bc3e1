import { Command, InvalidArgumentError } from "commander";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { loadRepo } from "../manifests/load";
import { findSite } from "../manifests/select";
import { DrushAliasFile, GENERATED_MARK, renderDrushAliases, SkippedSite } from "../sitegen/drush-aliases";

interface DrushAliasesOptions {
  repo: string;
  site: string[];
  out: string;
  host?: string;
  root: string;
  scheme: string;
  force?: boolean;
  json?: boolean;
}

/** Where `--host` comes from when it is not given. */
export const HOST_ENV = "SIMULIUM_SSH_HOST";

/**
 * `simulium drush-aliases`: Drush site alias files for the sites with SSH access, written into
 * a Drupal project (`<out>/drush/sites/<site>.site.yml`). Reads only the manifests: no engine.
 * A file it did not write (no generated mark) is never replaced without --force.
 */
export function register(program: Command): void {
  program
    .command("drush-aliases")
    .description("write Drush site alias files (drush/sites/SITE.site.yml, alias @SITE.prod) for the sites with SSH access (spec.access.ssh)")
    .option("--site <name...>", "only these sites", [])
    .option("--out <dir>", "the Drupal project the files go into (drush/sites/ below it)", ".")
    .option("--host <host>", `the node address developers connect to; default $${HOST_ENV}`)
    .option("--root <dir>", "the Drupal root in the SSH service's image", "/var/www/html")
    .option("--scheme <scheme>", "how the sites are served (http or https): the alias's uri", "http")
    .option("--force", "also replace alias files simulium did not write")
    .option("--json", "print {written: [{site, path}], skipped: [{site, reason}]}")
    .option("--repo <dir>", "manifests repository (a working tree)", ".")
    .addHelpText("after", `\nExample:\n  $ ${HOST_ENV}=node1.example.org simulium drush-aliases --repo ~/sites --out ~/src/acme --site acme --scheme https\n  $ drush @acme.prod status\n`)
    .action(async (opts: DrushAliasesOptions) => {
      const host = opts.host ?? process.env[HOST_ENV];
      if (!host) throw new InvalidArgumentError(`--host is required (or set ${HOST_ENV}): the node address developers connect to`);
      if (opts.scheme !== "http" && opts.scheme !== "https") throw new InvalidArgumentError(`--scheme must be http or https (got "${opts.scheme}")`);
      const load = await loadRepo(opts.repo);
      const chosen = opts.site.length > 0 ? opts.site.map((s) => findSite(load, s, opts.repo)) : load.sites;
      const invalid: SkippedSite[] = opts.site.length > 0 ? [] : load.invalidSites.map((site) => ({ site, reason: "invalid manifest (simulium validate shows why)" }));
      const { files, skipped } = renderDrushAliases(chosen, { host, root: opts.root, scheme: opts.scheme });
      await refuseForeign(opts.out, files, opts.force === true);
      for (const f of files) {
        const target = path.join(opts.out, f.path);
        await mkdir(path.dirname(target), { recursive: true });
        await writeFile(target, f.text);
      }
      const all = [...skipped, ...invalid].sort((a, b) => a.site.localeCompare(b.site));
      if (opts.json) {
        process.stdout.write(`${JSON.stringify({ written: files.map((f) => ({ site: f.site, path: path.join(opts.out, f.path) })), skipped: all })}\n`);
        return;
      }
      for (const f of files) process.stdout.write(`wrote ${path.join(opts.out, f.path)}: drush @${f.site}.prod\n`);
      for (const s of all) process.stdout.write(`skipped ${s.site}: ${s.reason}\n`);
    });
}

/** Nothing is written when one target is a file simulium did not write (checked before any write). */
async function refuseForeign(out: string, files: readonly DrushAliasFile[], force: boolean): Promise<void> {
  if (force) return;
  const foreign: string[] = [];
  for (const f of files) {
    const target = path.join(out, f.path);
    const text = await readFile(target, "utf8").catch((err: NodeJS.ErrnoException) => {
      if (err.code === "ENOENT") return undefined;
      throw err;
    });
    if (text !== undefined && !text.startsWith(GENERATED_MARK)) foreign.push(target);
  }
  if (foreign.length > 0) throw new Error(`not replacing alias files simulium did not write (pass --force to replace them): ${foreign.join(", ")}`);
}
