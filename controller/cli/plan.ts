import { Command } from "commander";
import { connectDocker } from "../engine/docker";
import { formatError } from "../manifests/format";
import { plannedHooks, renderPlannedHooks } from "../jobs/hooks";
import { planRepo } from "../features";
import { isMutation } from "../plan/types";
import { planToJson, renderPlanText } from "../plan/render";
import { restrictPlan } from "../plan/restrict";
import { RepoOptions, SiteSelection, withRepoOptions } from "./repo-options";

interface PlanOptions extends RepoOptions, SiteSelection {
  json?: boolean;
  detailedExitcode?: boolean;
}

export function register(program: Command): void {
  withRepoOptions(program.command("plan"), { siteSelection: true })
    .description("show what apply would change, grouped by site (nothing is changed)")
    .addHelpText("after", "\nExample:\n  $ simulium plan --repo ~/sites --site acme --detailed-exitcode\n")
    .option("--json", "print the plan as JSON")
    .option("--detailed-exitcode", "exit 0 when there is nothing to do, 2 when changes are pending, 1 on error")
    .action(async (opts: PlanOptions) => {
      const ctx = await planRepo(connectDocker(), opts.repo, { instance: opts.instance, stateDir: opts.stateDir, sealingKeyFile: opts.sealingKeyFile });
      const plan = restrictPlan(ctx.plan, opts.site);
      if (opts.json) process.stdout.write(JSON.stringify({ ...planToJson(plan), hooks: plannedHooks(plan, ctx.load.sites) }, null, 2) + "\n");
      else {
        for (const e of plan.errors) process.stdout.write(`error: ${formatError(e)}\n`);
        process.stdout.write(renderPlanText(plan));
        process.stdout.write(renderPlannedHooks(plannedHooks(plan, ctx.load.sites)));
      }
      const pending = plan.actions.some(isMutation);
      if (plan.errors.length > 0) process.exitCode = 1;
      else if (opts.detailedExitcode && pending) process.exitCode = 2;
    });
}
