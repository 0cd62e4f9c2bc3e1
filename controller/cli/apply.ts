import { progressLine } from "./progress";
import { Command, InvalidArgumentError } from "commander";
import type { ApplyResult } from "../apply/apply";
import { connectDocker } from "../engine/docker";
import { formatError } from "../manifests/format";
import { renderPlanText } from "../plan/render";
import { isMutation } from "../plan/types";
import { reconcile } from "../features";
import type { RoutingResult } from "../routing/sync";
import type { SeedOutcome } from "../backup/seed";
import { commitOf } from "../source/commit";
import { loggerFor } from "./context";
import { acmeControllerOptions, AcmeCliOptions, withAcmeOptions } from "./acme-options";
import { RepoOptions, SiteSelection, withRepoOptions } from "./repo-options";

interface ApplyCliOptions extends RepoOptions, SiteSelection, AcmeCliOptions {
  yes?: boolean;
  retryFailed?: boolean;
  allowMassDelete?: boolean;
  acceptResticPasswordChange?: boolean;
  rotateVarnishSecret?: boolean;
  json?: boolean;
  timeout?: string;
  lockWait: string;
}

export function register(program: Command): void {
  withAcmeOptions(withRepoOptions(program.command("apply"), { siteSelection: true }))
    .description("converge the swarm to the manifests: plan, execute, wait for every site")
    .addHelpText("after", "\nExample:\n  $ simulium apply --repo ~/sites --site acme --yes\n")
    .option("--yes", "do not ask for confirmation (required without a terminal)")
    .option("--retry-failed", "also retry updates Swarm already rolled back (held in the plan)")
    .option("--allow-mass-delete", "allow a plan that removes more than half of the running sites")
    .option("--accept-restic-password-change", "the restic password in the state directory replaces the swarm's on purpose (see Backups)")
    .option("--rotate-varnish-secret", "the Varnish admin secret in the state directory replaces the swarm's on purpose")
    .option("--timeout <seconds>", "how long to wait for services to converge")
    .option("--lock-wait <seconds>", "how long to wait while another apply or the daemon holds the instance lock", "30")
    .option("--json", "print the per-site result as JSON")
    .action(async (opts: ApplyCliOptions, cmd: Command) => {
      const log = loggerFor(cmd);
      const lockWait = wholeSeconds("--lock-wait", opts.lockWait);
      const timeout = opts.timeout === undefined ? undefined : wholeSeconds("--timeout", opts.timeout);
      const acme = acmeControllerOptions(opts);
      const docker = connectDocker();
      const commit = await commitOf(opts.repo);
      // The daemon's own reconcile, with the plan shown (and confirmed) before anything changes.
      const progress = progressLine();
      const out = await reconcile(docker, opts.repo, {
        instance: opts.instance,
        commit,
        log,
        sites: opts.site,
        allowMassDelete: opts.allowMassDelete === true,
        retryFailed: opts.retryFailed === true,
        acceptResticPasswordChange: opts.acceptResticPasswordChange === true,
        acme,
        rotateVarnishSecret: opts.rotateVarnishSecret === true,
        timeoutSeconds: timeout,
        stateDir: opts.stateDir,
        sealingKeyFile: opts.sealingKeyFile,
        lock: {
          what: "simulium apply",
          waitSeconds: lockWait,
          onWait: (held) => process.stderr.write(`waiting up to ${opts.lockWait} s: ${held.message}\n`),
        },
        onPlan: async ({ plan }) => {
          for (const e of plan.errors) process.stderr.write(`error: ${formatError(e)} (this site is left as it runs)\n`);
          if (!opts.json) process.stdout.write(renderPlanText(plan));
          return !plan.actions.some(isMutation) || opts.yes === true || confirm();
        },
        onConverging: (done, total) => progress.update(done, total),
      }).finally(() => progress.done());
      printResult(out.result, out.routing, out.seeds, opts.json === true);
      if (!out.result.ok || out.ctx.plan.errors.length > 0 || (out.routing !== null && !out.routing.ok) || out.seeds.some((s) => s.state === "failed")) process.exitCode = 1;
    });
}

/** A whole number of seconds, or an error naming the option (`1m` must not mean "forever"). */
function wholeSeconds(option: string, value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || !Number.isSafeInteger(n)) throw new InvalidArgumentError(`${option} takes whole seconds, not "${value}"`);
  return n;
}

function printResult(result: ApplyResult, routing: RoutingResult | null, seeds: readonly SeedOutcome[], json: boolean): void {
  if (json) {
    process.stdout.write(JSON.stringify({ ...result, routing, seeds }, null, 2) + "\n");
    return;
  }
  process.stdout.write("\n");
  for (const s of result.sites) {
    const name = s.site ?? "(shared)";
    process.stdout.write(`${name.padEnd(24)} ${s.state.padEnd(10)} ${s.applied} action(s)${s.error ? `  ${s.error}` : ""}\n`);
  }
  for (const s of seeds) process.stdout.write(`${s.site.padEnd(24)} ${s.state === "failed" ? "SEED FAILED" : s.state}: ${s.message}\n`);
  if (routing) process.stdout.write(renderRouting(routing));
}

function renderRouting(r: RoutingResult): string {
  if (r.error) return `\nrouting: not updated: ${r.error}\n`;
  const lines = [`\nrouting: VCL ${r.vclHash?.slice(0, 12)} on ${r.tasks.length} Varnish task(s)`];
  for (const t of r.tasks) {
    const sites = t.relabelled === undefined || t.relabelled.length === 0 ? "" : ` (${t.relabelled.length} group VCL(s) compiled)`;
    const state = t.ok ? (t.changed ? `loaded ${t.vclName}${sites}` : "unchanged") : `FAILED, previous VCL still active: ${t.error}`;
    lines.push(`  ${t.task.slice(0, 12)} ${state}`);
  }
  return lines.join("\n") + "\n";
}

async function confirm(): Promise<boolean> {
  if (!process.stdin.isTTY) throw new Error("changes are pending and there is no terminal to confirm them: pass --yes");
  const { createInterface } = await import("node:readline/promises");
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  try {
    return (await rl.question("Apply these changes? Only 'yes' is accepted: ")).trim() === "yes";
  } finally {
    rl.close();
  }
}
