import { Command } from "commander";
import { applyPlan, ApplyResult, secretValues } from "../apply/apply";
import { connectDocker } from "../engine/docker";
import { loadRegistryAuth } from "../engine/registry-auth";
import { formatError } from "../manifests/format";
import { massDeletion } from "../plan/guard";
import { renderPlanText } from "../plan/render";
import { restrictPlan } from "../plan/restrict";
import { isMutation } from "../plan/types";
import { planRepo } from "../reconcile/pipeline";
import { MassDeletionRefused, siteHooks } from "../reconcile/reconcile";
import { resolveStateDir, varnishSecretLookup } from "../routing/admin-secret";
import { routeAfterApply } from "../routing/after-apply";
import { creditFollowed, followRouting } from "../routing/follow";
import type { RoutingResult } from "../routing/sync";
import { commitOf } from "../source/commit";
import { loggerFor } from "./context";
import { RepoOptions, SiteSelection, withRepoOptions } from "./repo-options";

interface ApplyCliOptions extends RepoOptions, SiteSelection {
  yes?: boolean;
  retryFailed?: boolean;
  allowMassDelete?: boolean;
  json?: boolean;
  timeout?: string;
}

export function register(program: Command): void {
  withRepoOptions(program.command("apply"), { siteSelection: true })
    .description("converge the swarm to the manifests: plan, execute, wait for every site")
    .option("--yes", "do not ask for confirmation (required without a terminal)")
    .option("--retry-failed", "also retry updates Swarm already rolled back (held in the plan)")
    .option("--allow-mass-delete", "allow a plan that removes more than half of the running sites")
    .option("--timeout <seconds>", "how long to wait for services to converge")
    .option("--json", "print the per-site result as JSON")
    .action(async (opts: ApplyCliOptions, cmd: Command) => {
      const log = loggerFor(cmd);
      const docker = connectDocker();
      const stateDir = resolveStateDir(opts.stateDir);
      const ctx = await planRepo(docker, opts.repo, { instance: opts.instance, stateDir, sealingKeyFile: opts.sealingKeyFile });
      const plan = restrictPlan(ctx.plan, opts.site);
      for (const e of plan.errors) process.stderr.write(`error: ${formatError(e)} (this site is left as it runs)\n`);
      if (!opts.json) process.stdout.write(renderPlanText(plan));
      const mass = massDeletion(plan, ctx.live);
      if (mass && !opts.allowMassDelete) {
        throw new MassDeletionRefused(mass.removing, mass.running);
      }
      if (plan.actions.some(isMutation) && !opts.yes) {
        if (!(await confirm())) throw new Error("apply cancelled");
      }
      const commit = await commitOf(opts.repo);
      const follower = followRouting(docker, { cluster: ctx.cluster, sites: ctx.load.sites, invalidSites: ctx.load.invalidSites, stateDir, log });
      const auth = await loadRegistryAuth(ctx.cluster.registryAuth?.configFile);
      const result = await applyPlan(docker, plan, ctx.live, {
        instance: ctx.cluster.instance,
        commit,
        auth,
        // The same hooks as the daemon's: a deploy by hand migrates the database too.
        hooks: siteHooks(docker, { ...ctx, plan }, { stateDir, commit, auth, log }),
        timeoutSeconds: opts.timeout ? Number(opts.timeout) : ctx.cluster.update.timeoutSeconds,
        log,
        retryFailed: opts.retryFailed === true,
        secretValue: secretValues(ctx.sealedValue, varnishSecretLookup(stateDir, ctx.cluster.instance)),
        ...(follower ? { onProgress: follower.onProgress } : {}),
      });
      const after = await routeAfterApply(docker, { cluster: ctx.cluster, sites: ctx.load.sites, invalidSites: ctx.load.invalidSites, stateDir, log });
      const routing = creditFollowed(after, follower);
      printResult(result, routing, opts.json === true);
      if (!result.ok || plan.errors.length > 0 || (routing !== null && !routing.ok)) process.exitCode = 1;
    });
}

function printResult(result: ApplyResult, routing: RoutingResult | null, json: boolean): void {
  if (json) {
    process.stdout.write(JSON.stringify({ ...result, routing }, null, 2) + "\n");
    return;
  }
  process.stdout.write("\n");
  for (const s of result.sites) {
    const name = s.site ?? "(shared)";
    process.stdout.write(`${name.padEnd(24)} ${s.state.padEnd(10)} ${s.applied} action(s)${s.error ? `  ${s.error}` : ""}\n`);
  }
  if (routing) process.stdout.write(renderRouting(routing));
}

function renderRouting(r: RoutingResult): string {
  if (r.error) return `\nrouting: not updated: ${r.error}\n`;
  const lines = [`\nrouting: VCL ${r.vclHash?.slice(0, 12)} on ${r.tasks.length} Varnish task(s)`];
  for (const t of r.tasks) {
    const state = t.ok ? (t.changed ? `loaded ${t.vclName}` : "unchanged") : `FAILED, previous VCL still active: ${t.error}`;
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
