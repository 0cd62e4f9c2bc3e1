import { Command } from "commander";
import { readBackupRecord, renderBackupRecord } from "../backup/record";
import { connectDocker } from "../engine/docker";
import { resolveStateDir } from "../routing/admin-secret";
import { routingHealthOf } from "../routing/routing-health-of";
import { planRepo } from "../features";
import { siteStatuses, SiteStatus } from "../reconcile/status";
import { RepoOptions, withRepoOptions } from "./repo-options";
import { StateStore } from "../state/store";
import { readCertRecord } from "../state/tls-store";
import { summarizeTls, tlsCell, TlsSummary } from "../tls/summary";

interface StatusOptions extends RepoOptions {
  json?: boolean;
}

export function register(program: Command): void {
  withRepoOptions(program.command("status"))
    .description("per site: applied commit, state, tasks running/desired, last error")
    .addHelpText("after", "\nExample:\n  $ simulium status acme --repo ~/sites\n")
    .argument("[site]", "only this site")
    .option("--json", "print JSON")
    .action(async (site: string | undefined, opts: StatusOptions) => {
      // The same plan `simulium plan` shows: it knows drift, suspended, invalid and pending sites.
      const docker = connectDocker();
      // Every task: status counts each service's running tasks.
      const planned = await planRepo(docker, opts.repo, { instance: opts.instance, stateDir: opts.stateDir, sealingKeyFile: opts.sealingKeyFile, liveTasks: "all" });
      const { cluster, live, plan } = planned;
      const stateDir = resolveStateDir(opts.stateDir);
      // Varnish's probes: a site Swarm runs fine may still answer 503 (its health path fails).
      const routing = await routingHealthOf(docker, cluster, live, stateDir);
      const statuses = siteStatuses(live, plan, routing?.sites).filter((s) => !site || s.site === site);
      if (site && statuses.length === 0) throw new Error(`no site named "${site}" in the manifests or on the swarm`);
      for (const e of routing?.errors ?? []) process.stderr.write(`warning: routing health unknown: ${e}\n`);
      // Backups: the last run and check as the CLI or the daemon recorded them in the state directory.
      const backupOf = (s: SiteStatus) => (cluster.backup ? { backup: readBackupRecord(stateDir, cluster.instance, s.site) } : {});
      // HTTPS: the certificate the controller holds for each site with ACME, from its record.
      const store = new StateStore(stateDir, cluster.instance, "read-only");
      const acmeSites = new Set(planned.load.sites.filter((s) => s.tls?.mode === "acme").map((s) => s.name));
      const tlsOf = (s: SiteStatus) => (cluster.tls?.acme !== undefined && acmeSites.has(s.site) ? { tls: summarizeTls(readCertRecord(store, s.site), new Date()) } : {});
      const withBackups = statuses.map((s) => ({ ...s, ...backupOf(s), ...tlsOf(s) }));
      const routingErrors = routing === null ? {} : { routingErrors: routing.errors };
      if (opts.json) process.stdout.write(JSON.stringify({ instance: cluster.instance, ...routingErrors, sites: withBackups }, null, 2) + "\n");
      else process.stdout.write(renderStatus(withBackups, cluster.tls?.acme !== undefined) + (site ? withBackups.map((s) => (s.backup ? renderBackupRecord(s.site, s.backup) : "")).join("") : ""));
      if (statuses.some((s) => s.state === "failed" || s.state === "invalid" || s.state === "degraded")) process.exitCode = 1;
    });
}

function renderStatus(statuses: readonly (SiteStatus & { readonly tls?: TlsSummary })[], tls: boolean): string {
  const rows = [["SITE", "STATE", "TASKS", "COMMIT", ...(tls ? ["TLS"] : []), "LAST ERROR"]];
  for (const s of statuses) {
    const cell = tls ? [s.tls !== undefined ? tlsCell(s.tls) : "-"] : [];
    rows.push([s.site, s.state, `${s.tasks.running}/${s.tasks.desired}`, (s.commit ?? "-").slice(0, 12), ...cell, s.lastError ?? ""]);
  }
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  return rows.map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]))).join("  ").trimEnd()).join("\n") + "\n";
}
