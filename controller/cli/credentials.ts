import { Command, InvalidArgumentError } from "commander";
import { renderSiteWithFeatures } from "../features";
import { connectDocker } from "../engine/docker";
import { loadRegistryAuth } from "../engine/registry-auth";
import { CREDENTIAL_KINDS, CredentialKind, credentialsJobSpec, formatCredentials } from "../jobs/credentials-job";
import { readSecretThroughJob } from "../jobs/read-secret-job";
import { loadSite } from "../reconcile/load-site";

interface CredentialsOptions {
  repo: string;
  instance?: string;
  json?: boolean;
  timeout: string;
}

/**
 * `simulium credentials SITE phpmyadmin`: prints the user and the generated password an
 * operator hands to the site's client. The value is read from the Swarm secret by a one-off
 * job (the controller never keeps generated values), through an exec stream of a job whose log
 * driver is "none", and shown here only, on this explicit request; it is never logged.
 */
export function register(program: Command): void {
  program
    .command("credentials")
    .description("print the user and password of a site's phpMyAdmin basic auth or database user, read from its Swarm secret")
    .addHelpText("after", "\nExample:\n  $ simulium credentials acme phpmyadmin --repo ~/sites\n")
    .argument("<site>", "the site")
    .argument("<service>", `whose credentials: ${CREDENTIAL_KINDS.join(", ")}`)
    .option("--repo <dir>", "manifests repository (a working tree)", ".")
    .option("--instance <name>", "controller instance (overrides simulium.yaml)")
    .option("--json", "print {service, user, password} as JSON")
    .option("--timeout <seconds>", "give up (and remove the job) after this long", "120")
    .action(async (siteName: string, kind: string, opts: CredentialsOptions) => {
      if (!(CREDENTIAL_KINDS as readonly string[]).includes(kind)) {
        throw new InvalidArgumentError(`unknown service "${kind}" (known: ${CREDENTIAL_KINDS.join(", ")})`);
      }
      const timeout = Number(opts.timeout);
      if (!Number.isInteger(timeout) || timeout < 1) throw new InvalidArgumentError("--timeout must be whole seconds");
      const { site, cluster } = await loadSite(opts.repo, siteName, opts.instance);
      const credentialKind = kind as CredentialKind;
      const job = credentialsJobSpec(site.name, renderSiteWithFeatures(site, cluster), credentialKind);
      if (!job) {
        throw new Error(
          credentialKind === "phpmyadmin"
            ? `site ${siteName} has no phpMyAdmin: enable spec.access.phpmyadmin in ${site.file}`
            : `site ${siteName} has no database: spec.database in ${site.file}`,
        );
      }
      const auth = await loadRegistryAuth(cluster.registryAuth?.configFile);
      const imageAuth = auth(job.spec.shape.image);
      // Read through an exec stream of a job without a log driver: the engine keeps no copy.
      const value = await readSecretThroughJob(connectDocker(), {
        job: job.spec,
        target: job.target,
        kind: "credentials",
        timeoutSeconds: timeout,
        ...(imageAuth ? { auth: imageAuth } : {}),
      });
      const service = job.service;
      const password = value.toString("utf8").replace(/\r?\n$/, "");
      process.stdout.write(opts.json ? `${JSON.stringify({ service, user: job.user, password })}\n` : formatCredentials(service, job.user, password));
    });
}
