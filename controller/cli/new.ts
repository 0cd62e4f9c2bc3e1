import { Command } from "commander";
import { writeFile } from "node:fs/promises";
import path from "node:path";
import { readRepo } from "../manifests/read";
import { renderNewSite } from "../sitegen/new-site";
import { newSiteProblems } from "../sitegen/repo-check";

interface NewOptions {
  domain: string[];
  civicrm?: boolean;
  image?: string;
  repo: string;
}

/**
 * `simulium new NAME --domain D`: writes sites/NAME.yaml, a complete commented manifest on
 * the cluster's defaults. Nothing is written if the repository would gain any error with it.
 */
export function register(program: Command): void {
  program
    .command("new")
    .description("write sites/NAME.yaml: a complete, commented site manifest (database, files, cron, backup)")
    .addHelpText("after", "\nExample:\n  $ simulium new acme --domain acme.org --domain www.acme.org --civicrm --repo ~/sites\n")
    .argument("<name>", "the site name")
    .option("--domain <domain...>", "a domain of the site (repeatable)", [])
    .option("--civicrm", "also schedule CiviCRM's jobs")
    .option("--image <ref>", "web image (default: simulium.yaml spec.defaults.web.image)")
    .option("--repo <dir>", "manifests repository", ".")
    .action(async (name: string, opts: NewOptions) => {
      const text = renderNewSite({ name, domains: opts.domain, civicrm: opts.civicrm === true, ...(opts.image ? { image: opts.image } : {}) });
      const file = `sites/${name}.yaml`;
      const read = await readRepo(opts.repo);
      if (read.files.some((f) => f.path === file) || read.errors.some((e) => e.file === file)) {
        throw new Error(`${file} already exists in ${opts.repo}: edit it, or choose another name`);
      }
      // Checked with the rest of the repository first: a domain another site serves (in
      // whichever file order), or no default image, is refused before anything is written.
      const problems = newSiteProblems(read.files, read.errors, { path: file, text });
      if (problems.length > 0) throw new Error(problems.join("\n"));
      await writeFile(path.join(opts.repo, file), text, { flag: "wx" });
      process.stdout.write(`wrote ${file}\n`);
    });
}
