import { Command, InvalidArgumentError } from "commander";
import { connectDocker } from "../engine/docker";
import { STEP_TEXT } from "../move/decide";
import { moveSite } from "../move/move";
import { routingLine } from "../routing/after-move";
import { loggerFor } from "./context";
import { repoRouting } from "./move-routing";
import { RepoOptions, withRepoOptions } from "./repo-options";

interface MoveCliOptions extends RepoOptions {
  to: string;
  image?: string;
  timeout: string;
  dryRun?: boolean;
}

/**
 * `simulium move SITE --to NODE`: the one way a site's pinned data changes node. The site is
 * held (scaled to 0), every volume copied to the new node and verified, the pin switched and
 * the site started there; the old node's volumes are kept (plan shows them retained).
 */
export function register(program: Command): void {
  withRepoOptions(program.command("move"))
    .description("move a site whose data is pinned to a node to another node (held, copied, verified, switched; the old volumes are kept)")
    .addHelpText("after", "\nExample:\n  $ simulium move acme --to node3 --dry-run --repo ~/sites\n  $ simulium move acme --to node3 --repo ~/sites\n")
    .argument("<site>", "the site (applied, with a database or volumes)")
    .requiredOption("--to <node>", "the node: its hostname, ID or a unique ID prefix (docker node ls)")
    .option("--image <ref>", "tools image the copy runs in (rsync, sha256sum); default simulium.yaml spec.backup.image")
    .option("--timeout <seconds>", "stop the copy after this long (the hold lasts this long and 10 minutes more)", "3600")
    .option("--dry-run", "print the steps and change nothing")
    .action(async (siteName: string, opts: MoveCliOptions, cmd: Command) => {
      const timeout = Number(opts.timeout);
      if (!Number.isInteger(timeout) || timeout < 1) throw new InvalidArgumentError("--timeout must be whole seconds");
      const log = loggerFor(cmd);
      const result = await moveSite(connectDocker(), {
        repo: opts.repo,
        ...(opts.instance !== undefined ? { instance: opts.instance } : {}),
        site: siteName,
        to: opts.to,
        ...(opts.image !== undefined ? { image: opts.image } : {}),
        timeoutSeconds: timeout,
        log,
        dryRun: opts.dryRun === true,
        onStep: (step) => process.stderr.write(`move: ${STEP_TEXT[step]}\n`),
        onOutput: (text) => process.stderr.write(text),
        routing: await repoRouting(opts, log),
      });
      const { plan } = result;
      if (opts.dryRun) {
        process.stdout.write(`${siteName}: from ${plan.from.hostname} to ${plan.to.hostname}${plan.resumed ? " (resuming a move stopped after its switch)" : ""}\n`);
        for (const s of plan.steps) process.stdout.write(`  ${s}: ${STEP_TEXT[s]}\n`);
        return;
      }
      log.info({ site: siteName, from: plan.from.id, to: plan.to.id }, "audit: site moved");
      const copy = result.verified ? `${result.verified.files} file(s) copied and verified` : "copied and verified by an earlier run";
      process.stdout.write(`${siteName} moved from ${plan.from.hostname} to ${plan.to.hostname}: ${copy}\n`);
      if (result.retained.length > 0) process.stdout.write(`kept on ${plan.from.hostname} (simulium plan shows them retained): ${result.retained.join(", ")}\n`);
      process.stdout.write(`${routingLine(result.routing ?? null)}\n`);
      if (result.routing && !result.routing.ok) process.exitCode = 1;
    });
}
