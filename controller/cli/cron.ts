import { Command } from "commander";
import { connectDocker } from "../engine/docker";
import { loadRegistryAuth } from "../engine/registry-auth";
import { siteCronEntries } from "../jobs/cron-plan";
import { runJob } from "../jobs/run-job";
import { jobKind, runningWebSpec } from "../jobs/site-web";
import { loadSite } from "../reconcile/load-site";

interface CronRunOptions {
  repo: string;
  instance?: string;
}

/**
 * `simulium cron run SITE NAME`: one entry now, exactly as the daemon would run it (its
 * timeout, the CiviCRM defaults by their names), exiting with the command's exit code.
 */
export function register(program: Command): void {
  const cron = program.command("cron").description("scheduled commands of the sites").addHelpText("after", "\nExample:\n  $ simulium cron run acme drupal --repo ~/sites\n");
  cron
    .command("run")
    .description("run one cron entry of a site now, as a Swarm job; exits with its exit code")
    .addHelpText("after", "\nExample:\n  $ simulium cron run acme civicrm-jobs --repo ~/sites\n")
    .argument("<site>", "the site")
    .argument("<name>", "the entry's name (spec.cron[].name, or civicrm-jobs / civicrm-bounces)")
    .option("--repo <dir>", "manifests repository (a working tree)", ".")
    .option("--instance <name>", "controller instance (overrides simulium.yaml)")
    .action(async (siteName: string, name: string, opts: CronRunOptions) => {
      const { site, cluster } = await loadSite(opts.repo, siteName, opts.instance);
      const entries = siteCronEntries(site);
      const entry = entries.find((e) => e.name === name);
      if (!entry) {
        const known = entries.map((e) => e.name).join(", ") || "none";
        throw new Error(`site ${siteName} has no cron entry ${name} (entries: ${known})`);
      }
      const docker = connectDocker();
      // As the daemon does: in web as it runs (after a rolled-back update, the version that serves).
      const spec = await runningWebSpec(docker, cluster.instance, site.name);
      const auth = await loadRegistryAuth(cluster.registryAuth?.configFile);
      const result = await runJob(docker, {
        web: { kind: "running", spec },
        command: entry.command,
        timeoutSeconds: entry.timeout,
        kind: jobKind("cron", entry.name, site.name),
        auth: auth(spec.TaskTemplate?.ContainerSpec?.Image ?? ""),
        onOutput: (text) => process.stdout.write(text),
      });
      process.exitCode = result.exitCode;
    });
}
