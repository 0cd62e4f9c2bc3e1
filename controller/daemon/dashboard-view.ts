import type { SiteBackupStatus } from "../backup/daemon-backup";
import type { CronEntryStatus } from "../jobs/cron";
import type { Revision } from "../source/types";
import type { DashboardSite, DashboardView } from "./dashboard-render";
import type { SiteRecord } from "./run-status";
import type { SiteEvent } from "./site-events";

/** What the daemon knows, gathered for one dashboard view. */
export interface DashboardInput {
  readonly instance: string | null;
  readonly now: number;
  readonly commit: Revision | null;
  readonly lastRun: { readonly at: string; readonly ok: boolean; readonly error: string | null } | null;
  readonly sites: readonly (SiteRecord & { readonly cron: readonly CronEntryStatus[]; readonly backup: SiteBackupStatus | null })[];
  readonly domains: ReadonlyMap<string, readonly string[]>;
  /** Commits the daemon could describe (the one in force, and older ones sites still run). */
  readonly commits: ReadonlyMap<string, Revision>;
  /** `https://forge/owner/repo/commit/{sha}`; the link of each running commit when set. */
  readonly forgeCommitUrl?: string;
  readonly histories: ReadonlyMap<string, readonly SiteEvent[]>;
  readonly uptime?: ReadonlyMap<string, NonNullable<DashboardSite["uptime"]>>;
  /** The TLS hook: per site its certificate's expiry; left out while the daemon knows no TLS. */
  readonly certificates?: ReadonlyMap<string, { readonly notAfter: string }>;
}

/** Pure: the daemon's records as the dashboard shows them, sorted by site name. */
export function dashboardView(input: DashboardInput): DashboardView {
  const sites = [...input.sites].sort((a, b) => a.site.localeCompare(b.site)).map((r): DashboardSite => {
    const history = input.histories.get(r.site) ?? [];
    const sha = r.appliedCommit;
    const known = sha === null ? undefined : input.commits.get(sha);
    const lastDeploy = history.find((e) => e.kind === "deploy" && e.ok);
    const backupRecord = r.backup?.record.lastBackup;
    return {
      site: r.site,
      state: r.state,
      lastError: r.lastError,
      domains: input.domains.get(r.site) ?? [],
      commit:
        sha === null
          ? null
          : { sha, subject: known?.subject ?? null, author: known?.author ?? null, url: input.forgeCommitUrl && /^[0-9a-f]{7,64}$/.test(sha) ? input.forgeCommitUrl.replace("{sha}", sha) : null },
      ...(r.routing ? { routing: r.routing } : {}),
      lastDeployAt: lastDeploy?.at ?? null,
      backup: backupRecord ? { at: backupRecord.at, ok: backupRecord.ok, message: backupRecord.message } : null,
      backupRuns: r.backup?.backup?.runs ?? [],
      crons: r.cron.map((c) => ({ name: c.name, schedule: c.schedule, runs: c.runs })),
      ...(input.certificates ? { certificate: input.certificates.get(r.site) ?? null } : {}),
      ...(input.uptime ? { uptime: input.uptime.get(r.site) ?? null } : {}),
      history,
    };
  });
  return {
    instance: input.instance,
    now: new Date(input.now).toISOString(),
    commit: input.commit ? { sha: input.commit.sha, subject: input.commit.subject, author: input.commit.author } : null,
    lastRun: input.lastRun,
    sites,
  };
}
