import { Command, InvalidArgumentError } from "commander";
import { renderSite } from "../desired/render";
import type { ServiceSpec } from "../desired/types";
import { connectDocker } from "../engine/docker";
import { loadRegistryAuth } from "../engine/registry-auth";
import { runJob } from "../jobs/run-job";
import { readSitePin } from "../live/read";
import { loadSite } from "../reconcile/load-site";

interface ExecOptions {
  repo: string;
  instance?: string;
  timeout: string;
}

/**
 * `simulium exec SITE -- CMD…`: a one-off command in the site's web image, with its
 * environment, volumes, secrets and networks, run as a Swarm job; exits with its exit code.
 */
export function register(program: Command): void {
  program
    .command("exec")
    .description("run a one-off command in a site's web environment as a Swarm job (simulium exec SITE -- CMD ARGS...)")
    .addHelpText("after", "\nExample:\n  $ simulium exec acme --repo ~/sites -- drush cr\n")
    .argument("<site>", "the site")
    .argument("<command...>", "the command and its arguments (after --)")
    .option("--repo <dir>", "manifests repository (a working tree)", ".")
    .option("--instance <name>", "controller instance (overrides simulium.yaml)")
    .option("--timeout <seconds>", "give up (and remove the job) after this long", "3600")
    .action(async (siteName: string, command: string[], opts: ExecOptions) => {
      const timeout = Number(opts.timeout);
      if (!Number.isInteger(timeout) || timeout < 1) throw new InvalidArgumentError("--timeout must be whole seconds");
      const { site, cluster } = await loadSite(opts.repo, siteName, opts.instance);
      const docker = connectDocker();
      // On the node the site's data is pinned to: the job mounts its volumes.
      const pin = await readSitePin(docker, cluster.instance, site.name);
      const web = renderSite(site, cluster, pin).find((r): r is ServiceSpec => r.kind === "service" && r.role === "web");
      if (!web) throw new Error(`internal: site ${siteName} has no web service`);
      const auth = await loadRegistryAuth(cluster.registryAuth?.configFile);
      const result = await runJob(docker, {
        web,
        command,
        timeoutSeconds: timeout,
        auth: auth(web.shape.image),
        onOutput: (text) => process.stdout.write(text),
      });
      process.exitCode = result.exitCode;
    });
}
