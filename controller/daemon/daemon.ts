import { stat } from "node:fs/promises";
import { performance } from "node:perf_hooks";
import type Docker from "dockerode";
import { connectDocker, engineMessage } from "../engine/docker";
import type { Logger } from "../log";
import type { CronEntryStatus } from "../jobs/cron";
import { startDaemonCron } from "../jobs/daemon-cron";
import { recoverStateFromSwarm } from "./recover-state";
import { SiteBackupStatus, startDaemonBackups } from "../backup/daemon-backup";
import { formatError } from "../manifests/format";
import { loadFiles, loadRepo } from "../manifests/load";
import { readLive } from "../live/read";
import { makePlan } from "../plan/plan";
import { ClusterConfigError, ReadManifests } from "../reconcile/pipeline";
import { readCommit } from "../reconcile/commit-read";
import { reconcile, Reconciled } from "../features";
import { siteStatuses } from "../reconcile/status";
import type { AfterApplyOptions } from "../routing/after-apply";
import { readVarnishSecret } from "../routing/admin-secret";
import { syncRoutingNow } from "../routing/sync";
import { thumbprintOf } from "../routing/after-apply";
import { pollTasks, TaskPoll } from "../routing/task-poll";
import { RoutingWatch, watchRouting } from "../routing/watch";
import { deliverToNewTasks } from "../tls/deliver-run";
import { openDirectorySource } from "../source/directory";
import { SourceUnreachableError } from "../source/errors";
import { GitCredentials, openGitSource } from "../source/git";
import { redactUrlUserinfo } from "../source/redact";
import type { Revision, Source } from "../source/types";
import type { LiveState } from "../live/types";
import { backoffDelay } from "./backoff";
import type { ListenAddress } from "./listen";
import { createMetrics } from "./metrics";
import { loadNotifier, NotificationEvent, NotificationsConfig, Notifier } from "./notify";
import { commitStateFor } from "./notify-events";
import { createTlsWatch } from "./tls-watch";
import type { AcmeControllerOptions } from "../tls/renew";
import { canonicalJson } from "../desired/hash";
import type { ResolvedCluster } from "../manifests/types";
import { resolveStateDir } from "../routing/admin-secret";
import { createRoutingHealthCache } from "./routing-health";
import { invalidBySite, mergeRecords, nextRecords, notificationEvents, RecordWriters, recordsWithRouting, SiteRecord, SiteRecords, stateCounts, tallyActions } from "./run-status";
import { startDaemonServer } from "./server";
import { dashboardView } from "./dashboard-view";
import type { DashboardView } from "./dashboard-render";
import { appendHistory, runEvents, SiteHistories, stateEvent } from "./site-events";
import { describeCommit } from "../source/commit";
import { SiteUptime, startUptimeMonitor } from "./uptime-monitor";
import { jobStep, JobWatch } from "./uptime";
import { createPreviewLoop } from "./preview-loop";
import { loadPullRequestComments, PullRequestComments, PullRequestCommentsConfig } from "./forge-comments";
import { createTrigger, RunContext } from "./single-flight";
import { createClaims } from "./claims";
import { planChanges } from "../plan/changes";
import { appliedInFull, createAppliedVersions, stepAfterSync } from "./applied";
import { acquireLease } from "../engine/lease";
import { sharedLease } from "../engine/lease-share";
import { createRoutingGate } from "../routing/gate";
import { createDaemonState } from "./state";
import { createIdleSettle, memoryReducingGc } from "./memory";

export interface DaemonOptions {
  /** A git URL (ssh, https, file://, scp-like) or a local directory. */
  readonly repo: string;
  readonly branch: string;
  /** Holds the clone of a git source. */
  readonly stateDir: string;
  /** Where the served certificates are measured (the TLS terminator's host); default 127.0.0.1. */
  readonly tlsProbeHost?: string;
  readonly listen: ListenAddress;
  readonly webhookSecretFile?: string;
  /** Bearer token for /status and /metrics (see server.ts); without it they answer 404. */
  readonly apiTokenFile?: string;
  readonly credentials?: GitCredentials;
  readonly pollSeconds: number;
  /** Full reconcile even without a new commit: this is what reverts drift. */
  readonly resyncSeconds: number;
  /** Between two lists of the instance's tasks on a multi-node swarm (routing/task-poll.ts). Default 1000. */
  readonly taskPollMs?: number;
  readonly staleAfterSeconds?: number;
  readonly instance?: string;
  readonly allowMassDelete?: boolean;
  /** The age identity that decrypts sealed secrets; see sealing/key-file.ts. */
  readonly sealingKeyFile?: string;
  /** The operator's ACME settings: the DNS-01 hook, the external account binding (cli/acme-options.ts). */
  readonly acme?: AcmeControllerOptions;
  /** Notification settings of the operator (flags); simulium.yaml may add webhook URLs only. */
  readonly notify?: {
    /** Signs every webhook, the flag's and simulium.yaml's. */
    readonly secretFile?: string;
    readonly urls?: readonly string[];
    readonly suppressSeconds?: number;
    readonly commitStatus?: NotificationsConfig["commitStatus"];
    /** The plan as a comment on each pull request (flags only, like the commit status). */
    readonly pullRequestComments?: PullRequestCommentsConfig;
  };
  readonly log: Logger;
  readonly docker?: Docker;
  /**
   * The forge's page of a commit, `{sha}` standing for the full sha (e.g.
   * https://git.example.org/acme/sites/commit/{sha}): the dashboard links each running commit.
   */
  readonly forgeCommitUrl?: string;
  /**
   * The daemon's base URL as reviewers reach it (`--dashboard-url`): each pull request's plan
   * status links its page there (/dashboard/plan/<sha>).
   */
  readonly dashboardUrl?: string;
  /** Where the uptime probes reach Varnish's published port (default 127.0.0.1). */
  readonly probeHost?: string;
  /** How often cron and backup results are checked for a failure to notify (tests shorten it). */
  readonly jobWatchMs?: number;
  /** How often convergence is polled during apply (tests shorten it). */
  readonly convergePollMs?: number;
  /** Directory mode: quiet time after the last file event before a reconcile. */
  readonly debounceMs?: number;
}

/** What /status answers. */
export interface DaemonStatus {
  readonly instance: string | null;
  readonly source: { readonly kind: "git" | "directory"; readonly repo: string; readonly branch: string | null };
  readonly commit: Revision | null;
  readonly sync: { readonly ok: boolean; readonly at: string | null; readonly error: string | null };
  readonly lastRun: { readonly reason: string; readonly commit: string; readonly ok: boolean; readonly at: string; readonly durationSeconds: number; readonly error: string | null; readonly concurrent?: boolean } | null;
  /**
   * The reconciles in flight: the ordinary one, and those started beside it for other sites
   * (`concurrent`, docs/architecture.md). `sites`: what each is changing now (empty while it plans).
   */
  readonly runs: readonly { readonly reason: string; readonly commit: string | null; readonly since: string; readonly concurrent: boolean; readonly state: string; readonly sites: readonly string[] }[];
  /**
   * The last routing-only sync: what a task event (a web task replaced, rescheduled, scaled)
   * causes instead of a reconcile. The VCL from the live tasks and the last loaded manifests.
   */
  readonly lastRouting: { readonly reason: string; readonly at: string; readonly ok: boolean; readonly vclHash: string | null; readonly varnishTasks: number; readonly error: string | null } | null;
  readonly engineReachable: boolean | null;
  /** When Varnish's backend health was last read, and the tasks that could not be asked. */
  readonly routing: { readonly checkedAt: string | null; readonly errors: readonly string[] } | null;
  readonly sites: readonly (SiteRecord & { readonly cron: readonly CronEntryStatus[]; readonly backup: SiteBackupStatus | null; readonly uptime: SiteUptime | null })[];
}

export interface RunningDaemon {
  readonly host: string;
  readonly port: number;
  /** Asks for a run through the single-flight trigger (as a webhook would). */
  trigger(reason: string): boolean;
  /** Resolves once no run is in flight or pending. */
  idle(): Promise<void>;
  status(): DaemonStatus;
  /** Stops triggers and timers, waits for the run in flight, closes the server. */
  stop(): Promise<void>;
}

/** The engine did not answer a ping: nothing was planned, the daemon retries with backoff. */
export class EngineUnreachableError extends Error {
  readonly kind = "engine-unreachable" as const;
  constructor(detail: string) {
    super(`docker engine unreachable: ${detail}`);
    this.name = "EngineUnreachableError";
  }
}

/** A plain existing directory is read as it is; anything else is a git URL. */
export async function isLocalDirectory(repo: string): Promise<boolean> {
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(repo) || /^[^/]+@[^/:]+:/.test(repo)) return false;
  return stat(repo).then((s) => s.isDirectory(), () => false);
}

export async function startDaemon(options: DaemonOptions): Promise<RunningDaemon> {
  const log = options.log;
  const docker = options.docker ?? connectDocker();
  const directory = await isLocalDirectory(options.repo);
  const dirSource = directory ? openDirectorySource(options.repo) : undefined;
  const gitSource = dirSource ? undefined : await openGitSource({ stateDir: options.stateDir, url: options.repo, branch: options.branch, credentials: options.credentials });
  const source: Source | undefined = dirSource ?? gitSource;
  if (!source) throw new Error("internal: neither a directory nor a git source");
  const staleAfterSeconds = options.staleAfterSeconds ?? 3 * options.pollSeconds;
  const state = createDaemonState();
  const metrics = createMetrics({ health: state.snapshot, staleAfterSeconds });
  // Notification targets come from the flags and from simulium.yaml (spec.notifications),
  // which a commit may change: the notifier is rebuilt whenever the combined config does.
  // Files read and the commit status API are flags only: a commit must not pick a controller
  // file and a server to send it to.
  const flagNotify = options.notify;
  let notifier: Notifier | undefined;
  let notifierKey = "";
  const configureNotifier = async (cluster: ResolvedCluster | undefined): Promise<void> => {
    const fromRepo = cluster?.notifications;
    const secretFile = flagNotify?.secretFile;
    const repoUrls = (fromRepo?.webhooks ?? []).map((w) => w.url);
    const urls = [...(flagNotify?.urls ?? []), ...repoUrls];
    const config: NotificationsConfig = {
      webhooks: secretFile ? urls.map((url) => ({ url, secretFile })) : [],
      ...(flagNotify?.commitStatus ? { commitStatus: flagNotify.commitStatus } : {}),
      suppressSeconds: fromRepo?.suppressSeconds ?? flagNotify?.suppressSeconds ?? 3600,
    };
    // The instance names the commit status context: a notifier made before the first load
    // (instance unknown, "default") is made again once simulium.yaml names it.
    const key = `${canonicalJson(config)}${repoUrls.length}\0${cluster?.instance ?? options.instance ?? "default"}`;
    if (key === notifierKey) return;
    notifierKey = key;
    if (repoUrls.length > 0 && !secretFile) {
      log.error({ webhooks: repoUrls.length }, "simulium.yaml spec.notifications.webhooks are not sent: start simulium run with --notify-secret-file to sign them");
    }
    if (config.webhooks.length === 0 && !config.commitStatus) {
      notifier = undefined;
      return;
    }
    try {
      notifier = await loadNotifier(config, { instance: cluster?.instance ?? options.instance ?? "default", sourceUrl: directory ? undefined : options.repo });
    } catch (err) {
      // A missing secret file must be seen, but it never stops the sites from converging.
      notifier = undefined;
      log.error({ err: errorText(err) }, "notifications are not configured correctly; none are sent");
    }
  };
  await configureNotifier(undefined);
  /** The run (start order) whose simulium.yaml the notifier follows: one that started earlier and ends later does not put its older settings back. */
  let notifierFrom = 0;
  const configureNotifierFrom = async (id: number, cluster: ResolvedCluster): Promise<void> => {
    if (id < notifierFrom) return;
    notifierFrom = id;
    await configureNotifier(cluster);
  };
  let statusPosted = "";

  let records: SiteRecords = new Map();
  /** Which run wrote each site's record: a run that started earlier and ends later leaves a newer run's sites alone. */
  let writers: RecordWriters = new Map();
  // Runs side by side (one site's change while another rolls out): what each changes, one hold
  // of the instance lock for all of them, and their VCL loads one at a time, each site from the run that applied it last.
  const claims = createClaims();
  const takeLease = sharedLease((inst, lock) => acquireLease(docker, inst, lock));
  const routingGate = createRoutingGate();
  /** What has been fetched and what applied in full: a poll decides from it whether anything is left to do. */
  const versions = createAppliedVersions();
  const running = new Map<number, { reason: string; commit: string | null; since: string; concurrent: boolean }>();
  // For the dashboard: each site's recent history, its domains, and the commits it may run.
  let histories: SiteHistories = new Map();
  let shownStates = new Map<string, string>();
  const domains = new Map<string, readonly string[]>();
  const commits = new Map<string, Revision>();
  const unknownCommits = new Set<string>();
  let instance: string | null = options.instance ?? null;
  let revision: Revision | null = null;
  let sync: DaemonStatus["sync"] = { ok: false, at: null, error: null };
  let lastRun: DaemonStatus["lastRun"] = null;
  let lastRunOk = false;
  let lastRouting: DaemonStatus["lastRouting"] = null;
  /** What the last reconcile loaded: the manifests a routing-only sync renders from. */
  let loaded: Pick<AfterApplyOptions, "cluster" | "sites" | "invalidSites"> | undefined;
  let failures = 0;
  let retryTimer: NodeJS.Timeout | undefined;
  let routingWatch: RoutingWatch | undefined;
  let taskPoll: TaskPoll | undefined;
  let stopping = false;
  const pendingNotifications = new Set<Promise<void>>();
  const cron = startDaemonCron(docker, metrics.registry, log.child({ component: "cron" }));
  const backups = startDaemonBackups(docker, metrics.registry, log.child({ component: "backup" }), options.stateDir);
  const tlsWatch = createTlsWatch(metrics.registry, { stateDir: resolveStateDir(options.stateDir), log: log.child({ component: "tls" }), ...(options.tlsProbeHost !== undefined ? { probeHost: options.tlsProbeHost } : {}) });
  // Sites as /status shows them: Swarm's view from the last run, Varnish's probes read since.
  const shownRecords = (): SiteRecord[] => recordsWithRouting(records, routingHealth.current()?.sites);
  /** Varnish's probes change a site's state between runs: the site's history says so too. */
  const noteShownStates = (): void => {
    const at = Date.now();
    const added = new Map<string, ReturnType<typeof stateEvent>[]>();
    const next = new Map<string, string>();
    for (const r of shownRecords()) {
      next.set(r.site, r.state);
      const before = shownStates.get(r.site);
      if (before !== undefined && before !== r.state) added.set(r.site, [stateEvent(before, r.state, r.lastError, at)]);
    }
    shownStates = next;
    if (added.size > 0) histories = appendHistory(histories, added);
  };
  const alert = (site: string, text: string, ok: boolean, error: string | null): void => {
    histories = appendHistory(histories, new Map([[site, [{ kind: "alert" as const, at: new Date().toISOString(), text, ok, error }]]]));
  };
  const uptime = startUptimeMonitor({
    registry: metrics.registry,
    log: log.child({ component: "uptime" }),
    onTransition: (site, t, url) => {
      if (t.kind === "down") {
        log.warn({ site, url, err: t.detail, failures: t.failures }, "site down");
        alert(site, "down", false, t.detail);
        send({ type: "uptime.down", site, url, message: t.detail, failures: t.failures });
      } else {
        log.info({ site, url, downSince: t.downSince }, "site recovered");
        alert(site, "recovered", true, null);
        send({ type: "uptime.recovered", site, url, downSince: t.downSince });
      }
    },
  });
  // Cron and backup results: a failure after success notifies once, the next success once.
  let jobWatches = new Map<string, JobWatch>();
  const watchJobs = (): void => {
    const next = new Map<string, JobWatch>();
    for (const site of records.keys()) {
      const backup = backups.siteStatus(site)?.backup;
      const jobs = [...cron.siteStatus(site).map((c) => ({ job: `cron:${c.name}`, runs: c.runs })), ...(backup ? [{ job: "backup", runs: backup.runs }] : [])];
      for (const j of jobs) {
        const key = `${site}\n${j.job}`;
        const step = jobStep(jobWatches.get(key), j.runs[0]);
        next.set(key, step.watch);
        if (step.transition?.kind === "failed") {
          alert(site, `${j.job} failed`, false, step.transition.message);
          send({ type: "job.failed", site, job: j.job, message: step.transition.message });
        } else if (step.transition?.kind === "recovered") {
          alert(site, `${j.job} ok again`, true, null);
          send({ type: "job.recovered", site, job: j.job });
        }
      }
    }
    jobWatches = next;
  };
  const routingHealth = createRoutingHealthCache(docker, resolveStateDir(options.stateDir), log.child({ component: "routing" }), () => {
    metrics.setSiteStates(stateCounts(shownRecords()));
    noteShownStates();
  });

  const send = (event: NotificationEvent): void => {
    if (!notifier) return;
    if (event.type === "commit.applied" && statusPosted !== event.commit) {
      statusPosted = event.commit;
      const state = commitStateFor(event);
      const description = `${event.sites.ready} converged, ${event.sites.failed} failed, ${event.sites.invalid} invalid`;
      const s = notifier
        .setCommitStatus(event.commit, state, description)
        .then((d) => {
          if (d && !d.ok) log.warn({ target: d.target, status: d.status, err: d.error, commit: event.commit }, "commit status not posted");
        })
        .catch((err: unknown) => log.warn({ err: String(err), commit: event.commit }, "commit status failed"))
        .finally(() => pendingNotifications.delete(s));
      pendingNotifications.add(s);
    }
    const p = notifier
      .notify(event)
      .then((deliveries) => {
        for (const d of deliveries) if (!d.ok) log.warn({ target: d.target, status: d.status, err: d.error, event: event.type }, "notification not delivered");
      })
      .catch((err: unknown) => log.warn({ err: String(err), event: event.type }, "notification failed"))
      .finally(() => pendingNotifications.delete(p));
    pendingNotifications.add(p);
  };

  /** Fetches; an unreachable remote keeps the commit in force (never an empty swarm). */
  const syncSource = async (): Promise<{ revision: Revision | undefined; changed: boolean }> => {
    try {
      const synced = await source.sync();
      sync = { ok: true, at: new Date().toISOString(), error: null };
      state.syncSucceeded(synced.date);
      if (synced.forced) log.warn({ previous: revision?.sha, commit: synced.sha }, "branch was force-pushed: converging to the new head");
      return { revision: synced, changed: synced.changed };
    } catch (err) {
      if (!(err instanceof SourceUnreachableError)) throw err;
      sync = { ok: false, at: sync.at, error: err.message };
      log.warn({ reason: err.reason, err: err.message, commit: revision?.sha }, "source unreachable: keeping the last fetched commit in force");
      return { revision: await source.headCommit(), changed: false };
    }
  };

  /**
   * Task events move routing only: no fetch, no reconcile (a busy site's events would
   * otherwise cost a git fetch and a full pass each). The VCL follows the live tasks.
   */
  const syncRoutingOnly = async (reason: string): Promise<void> => {
    if (!loaded) return;
    const at = new Date().toISOString();
    try {
      const from = loaded;
      const r = await routingGate.load(() => syncRoutingNow(docker, { ...from, secret: readVarnishSecret(options.stateDir, from.cluster.instance), ...thumbprintOf(options.stateDir, from.cluster), log }));
      lastRouting = { reason, at, ok: r.ok, vclHash: r.vclHash, varnishTasks: r.tasks.length, error: r.error ?? r.tasks.find((t) => !t.ok)?.error ?? null };
      // A new or restarted TLS terminator task waits for its certificates (tls/deliver.ts).
      // One delivery at a time, like the runs' own (tls/feature.ts): two jobs never write one task's certificates at once.
      await routingGate.load(() => deliverToNewTasks(docker, { cluster: from.cluster, stateDir: options.stateDir, log, timeoutMs: 15_000 }));
    } catch (err) {
      lastRouting = { reason, at, ok: false, vclHash: null, varnishTasks: 0, error: errorText(err) };
      throw err;
    }
  };

  const run = async (reason: string, context: RunContext = { concurrent: false, settled: () => undefined }): Promise<void> => {
    const concurrent = context.concurrent;
    const reasons = reason.split(", ");
    const others = reasons.filter((r) => r !== TASKS);
    if (!concurrent && others.length === 0 && lastRunOk) return syncRoutingOnly(reason);
    const started = performance.now();
    const synced = await syncSource();
    const current = synced.revision;
    if (!current) throw new Error("no commit has been fetched yet: nothing to converge to");
    revision = current;
    const version = versions.synced(synced.changed);
    const step = stepAfterSync({ concurrent, reasons, changed: synced.changed, upToDate: versions.upToDate(version), lastRunOk, tasks: TASKS });
    if (step === "routing") await syncRoutingOnly(TASKS);
    if (step !== "reconcile") return;
    const clog = log.child({ commit: current.sha, author: current.author, ...(concurrent ? { concurrent: true } : {}) });
    // The run's own commit from git's objects: a run beside it may check out a newer one meanwhile.
    const read = gitSource ? () => readCommit(gitSource, current.sha) : undefined;
    const claim = claims.open(concurrent);
    running.set(claim.id, { reason, commit: current.sha, since: new Date().toISOString(), concurrent });
    // The scheduler starts the next concurrent run once this one knows what it takes.
    const scope = {
      ...claim,
      admit: async (plan: Parameters<typeof claim.admit>[0]) => {
        const admission = await claim.admit(plan);
        if (admission.kind !== "replan") context.settled();
        return admission;
      },
    };
    try {
      await docker.ping().catch((err: unknown) => {
        throw new EngineUnreachableError(engineMessage(err));
      });
      state.engineChecked(true);
      clog.info({ reason }, concurrent ? "reconcile started beside the one in flight" : "reconcile started");
      const out = await reconcile(docker, source.dir, {
        ...(read ? { read } : {}),
        instance: options.instance,
        commit: current.sha,
        log: clog,
        allowMassDelete: options.allowMassDelete,
        // The Varnish admin secret lives beside the clone, in the state the daemon keeps; a
        // fresh state volume (first start, or another manager) gets it back from the swarm.
        stateDir: options.stateDir,
        prepareState: (loaded, stateDir) => recoverStateFromSwarm(docker, loaded, stateDir, clog),
        sealingKeyFile: options.sealingKeyFile,
        ...(options.acme !== undefined ? { acme: options.acme } : {}),
        pollMs: options.convergePollMs,
        // A `simulium apply` in progress finishes first; a stuck one is refused and retried with backoff.
        // Longer than a lease lives: a predecessor killed mid-apply (its lease not released) is waited out, not failed on.
        lock: { what: "simulium daemon", waitSeconds: 120, onWait: (held) => clog.warn({ err: held.message }, "waiting for the instance lock") },
        acquireLease: takeLease,
        scope,
        routing: routingGate.forRun(claim.id, !concurrent),
      });
      instance = out.ctx.cluster.instance;
      if (concurrent) {
        // What is left out (shared objects, sites in flight, the schedules and routing-only
        // manifests) is the follow-up run's: the scheduler runs it once nothing is in flight.
        if (out.deferred !== undefined) {
          clog.info({ reason, why: out.deferred }, "reconcile beside the one in flight: nothing taken, left to the next run");
          return;
        }
        await configureNotifierFrom(claim.id, out.ctx.cluster);
        await recordRun(out, current, clog, claim.id, planChanges(out.ctx.plan).sites);
      } else {
        loaded = varnishConfigured(out.ctx.cluster) ? { cluster: out.ctx.cluster, sites: out.ctx.load.sites, invalidSites: out.ctx.load.invalidSites } : undefined;
        cron.update(out.ctx.load, out.ctx.cluster, out.ctx.desired, out.ctx.secretValue);
        backups.update(out.ctx.load, out.ctx.cluster, out.ctx.desired, current.sha);
        uptime.update(
          out.ctx.load.sites.map((s) => ({ site: s.name, domains: s.domains, uptime: s.uptime })),
          varnishConfigured(out.ctx.cluster) ? { host: options.probeHost ?? "127.0.0.1", port: out.ctx.cluster.varnish.port } : undefined,
        );
        // Backends follow the tasks: a replaced, rescheduled or scaled web task changes its IP,
        // and a routing-only sync (syncRoutingOnly) moves the VCL within seconds.
        routingWatch ??= watchRouting(docker, instance, () => void trigger.trigger(TASKS), {
          onError: (err) => log.warn({ err: err.message }, "docker events stream failed; reconnecting"),
        });
        // Container events come from this node's engine only: tasks on other nodes are listed.
        taskPoll ??= pollTasks(docker, instance, () => void trigger.trigger(TASKS), {
          ...(options.taskPollMs !== undefined ? { intervalMs: options.taskPollMs } : {}),
          onError: (err) => log.warn({ err: err.message }, "listing the instance's tasks failed; trying again"),
        });
        // Before the run's events go out: the instance names the commit status context
        // (`simulium/<instance>`), and a notifier made before the first load does not know it.
        await configureNotifierFrom(claim.id, out.ctx.cluster);
        const liveAfter = await recordRun(out, current, clog, claim.id, undefined);
        await previews?.afterReconcile(out.ctx, current.sha);
        await routingHealth.refresh(out.ctx.cluster, liveAfter);
        for (const e of await tlsWatch.update(out.ctx.cluster, out.ctx.load.sites, out.tls)) send(e);
        state.reconcileSucceeded();
      }
      const durationSeconds = (performance.now() - started) / 1000;
      metrics.recordReconcile({ durationSeconds, ok: true });
      lastRun = { reason, commit: current.sha, ok: true, at: new Date().toISOString(), durationSeconds, error: null, ...(concurrent ? { concurrent } : {}) };
      if (!concurrent) {
        lastRunOk = true;
        failures = 0;
        // Sites left out were being changed by runs beside it, from their commit: this one's is not applied in full yet.
        if (appliedInFull({ concurrent, ...(out.excluded ? { excluded: out.excluded } : {}) })) versions.applied(version);
      }
      clog.info({ reason, durationSeconds, mutations: out.mutations, ok: out.result.ok, ...(out.excluded ? { excluded: out.excluded } : {}) }, "reconcile finished");
    } catch (caught) {
      let err = caught;
      if (err instanceof EngineUnreachableError) state.engineChecked(false);
      if (err instanceof ClusterConfigError) err = await withManifestErrors(err, source.dir, read);
      const durationSeconds = (performance.now() - started) / 1000;
      metrics.recordReconcile({ durationSeconds, ok: false });
      lastRun = { reason, commit: current.sha, ok: false, at: new Date().toISOString(), durationSeconds, error: errorText(err), ...(concurrent ? { concurrent } : {}) };
      // A concurrent run's failure is retried like any; the ordinary run's state (routing-only syncs) is its own.
      if (!concurrent) lastRunOk = false;
      throw err;
    } finally {
      claim.close();
      running.delete(claim.id);
    }
  };

  /**
   * Records, history, notifications and metrics of a run that applied. A concurrent run records
   * only the sites it changed (`only`); every run leaves alone the sites a later-started run
   * recorded (mergeRecords). The swarm as it is after the run.
   */
  const recordRun = async (out: Reconciled, current: Revision, clog: Logger, id: number, only: ReadonlySet<string> | undefined): Promise<LiveState> => {
    const tally = tallyActions(out.ctx.plan.actions);
    for (const t of tally.byKindOp.values()) metrics.recordAction(t.kind, t.op, t.count);
    metrics.recordDriftCorrections(tally.driftCorrections);
    // Fresh read after apply: tasks and labels as they are now, and what is still pending.
    // The desired state is the one just applied; only the swarm needs reading again.
    const liveAfter = await readLive(docker, out.ctx.cluster.instance);
    const next = nextRecords(records, {
      revision: current,
      statuses: siteStatuses(liveAfter, makePlan(out.ctx.desired, liveAfter, out.ctx.load.errors)),
      outcomes: out.result.sites,
      invalid: invalidBySite(out.ctx.plan.errors, formatError),
      at: Date.now(),
    });
    const merged = mergeRecords(records, next, writers, id, only);
    const mine = (r: SiteRecords): SiteRecords => (only === undefined ? r : new Map([...r].filter(([site]) => only.has(site))));
    // A concurrent run reports its sites; the commit as a whole is the follow-up run's to report.
    for (const e of notificationEvents(mine(records), mine(merged.records), current, only === undefined)) send(e);
    histories = appendHistory(histories, runEvents(records, merged.records, out.result.sites, current, Date.now()));
    commits.set(current.sha, current);
    if (only === undefined) {
      domains.clear();
      for (const s of out.ctx.load.sites) domains.set(s.name, s.domains);
    }
    for (const r of mine(merged.records).values()) if (r.state === "failed" || r.state === "invalid") clog.warn({ site: r.site, state: r.state, err: r.lastError }, "site not converged");
    records = merged.records;
    writers = merged.writers;
    // The run's own state changes are in the history already: start the probes' comparison here.
    shownStates = new Map(shownRecords().map((r) => [r.site, r.state]));
    metrics.setSiteStates(stateCounts(shownRecords()));
    metrics.setPinnedNodes([...records.values()].flatMap((r) => (r.node ? [{ site: r.site, node: r.node.hostname, unavailable: r.node.unavailable !== null }] : [])));
    return liveAfter;
  };

  let comments: PullRequestComments | undefined;
  if (gitSource && flagNotify?.pullRequestComments) {
    try {
      comments = await loadPullRequestComments(flagNotify.pullRequestComments, { sourceUrl: options.repo });
    } catch (err) {
      // Like notifications: seen in the log, never a reason not to converge.
      log.error({ err: errorText(err) }, "pull request comments are not configured correctly; none are posted");
    }
  }

  // Pull-request previews need a forge's refs: a git source only.
  const previews = gitSource
    ? createPreviewLoop({
        docker,
        source: gitSource,
        stateDir: options.stateDir,
        ...(options.sealingKeyFile ? { sealingKeyFile: options.sealingKeyFile } : {}),
        log: log.child({ component: "previews" }),
        setStatus: (sha, state, description, extra) => notifier?.setCommitStatus(sha, state, description, extra) ?? Promise.resolve(undefined),
        ...(comments ? { comments } : {}),
        trigger: (reason) => void trigger.trigger(reason),
        ...(options.dashboardUrl !== undefined ? { dashboardUrl: options.dashboardUrl } : {}),
      })
    : undefined;

  // Between runs the daemon gives back the pages its last run grew (daemon/memory.ts).
  const reduceMemory = memoryReducingGc();
  const settle = createIdleSettle({
    delayMs: SETTLE_AFTER_MS,
    busy: () => trigger.running,
    settle: () => {
      if (!reduceMemory || stopping) return;
      const started = performance.now();
      reduceMemory();
      log.debug({ rssMb: Math.round(process.memoryUsage.rss() / 2 ** 20), gcMs: Math.round(performance.now() - started) }, "memory returned after the runs");
    },
  });
  const trigger = createTrigger(async (reason, context) => {
    try {
      await run(reason, context);
    } finally {
      settle.afterRun();
    }
  }, {
    // A change (webhook, poll, file, resync) starts beside the ordinary run in flight; task events wait.
    concurrent: (reason) => reason !== TASKS,
    onError: (err, reason) => {
      failures++;
      const delayMs = backoffDelay(failures - 1);
      log.error({ reason, err: errorText(err), commit: revision?.sha, retryInMs: delayMs }, "reconcile failed");
      if (stopping) return;
      if (retryTimer) clearTimeout(retryTimer);
      retryTimer = setTimeout(() => {
        retryTimer = undefined;
        trigger.trigger("retry");
      }, delayMs);
    },
  });

  const status = (): DaemonStatus => ({
    instance,
    source: { kind: directory ? "directory" : "git", repo: redactUrlUserinfo(options.repo), branch: directory ? null : options.branch },
    commit: revision,
    sync,
    lastRun,
    runs: claims.current().map((c) => {
      const r = running.get(c.id);
      return { reason: r?.reason ?? "?", commit: r?.commit ?? null, since: r?.since ?? "", concurrent: r?.concurrent ?? false, state: c.state, sites: [...c.sites].sort() };
    }),
    lastRouting,
    engineReachable: state.snapshot().engineReachable ?? null,
    routing: routingHealth.current() === null ? null : { checkedAt: routingHealth.checkedAt(), errors: routingHealth.current()?.errors ?? [] },
    sites: shownRecords().map((r) => ({ ...r, cron: cron.siteStatus(r.site), backup: backups.siteStatus(r.site), uptime: uptime.current().get(r.site) ?? null })),
  });

  const dashboard = async (): Promise<DashboardView> => {
    await routingHealth.fresh();
    const s = status();
    // Sites that still run an older commit: ask git once per sha.
    for (const r of s.sites) {
      const sha = r.appliedCommit;
      if (sha === null || commits.has(sha) || unknownCommits.has(sha)) continue;
      const known = await describeCommit(source.dir, sha);
      if (known) commits.set(sha, known);
      else unknownCommits.add(sha);
    }
    return dashboardView({
      instance: s.instance,
      now: Date.now(),
      commit: s.commit,
      lastRun: s.lastRun,
      sites: s.sites,
      domains,
      commits,
      forgeCommitUrl: options.forgeCommitUrl,
      histories,
      uptime: uptime.current(),
    });
  };

  const server = await startDaemonServer({
    listen: options.listen,
    health: state.snapshot,
    staleAfterSeconds,
    status: async () => {
      await routingHealth.fresh();
      return status();
    },
    registry: metrics.registry,
    webhook: options.webhookSecretFile
      ? {
          secretFile: options.webhookSecretFile,
          onWebhook: (e) => {
            // A pull request's event previews its head; the branch the daemon follows did not move.
            if (previews?.onWebhook(e.provider, e.event, e.body)) return;
            void trigger.trigger(`webhook:${e.provider}`);
          },
        }
      : undefined,
    apiTokenFile: options.apiTokenFile,
    dashboard,
    ...(previews ? { plan: (sha: string) => previews.planFor(sha) } : {}),
    onError: (err) => log.error({ err: errorText(err) }, "http handler failed"),
  });

  const timers = [
    setInterval(() => {
      trigger.trigger("poll");
      // Branch previews (spec.previews.branches) on the same interval: the forge sends no webhook for them.
      void previews?.pollBranches();
    }, options.pollSeconds * 1000),
    setInterval(() => trigger.trigger("resync"), options.resyncSeconds * 1000),
    setInterval(watchJobs, options.jobWatchMs ?? 5000),
  ];
  const closeWatch = dirSource
    ? await dirSource.watch(() => void trigger.trigger("file"), {
        debounceMs: options.debounceMs,
        onError: (err) => log.error({ err: errorText(err) }, "watching the manifests directory failed"),
      })
    : undefined;
  log.info({ repo: redactUrlUserinfo(options.repo), mode: directory ? "directory" : "git", listen: server.address, ...(options.apiTokenFile ? { dashboard: `http://${urlHost(server.address.host)}:${server.address.port}/dashboard` } : {}) }, "simulium daemon started");
  trigger.trigger("start");

  return {
    host: server.address.host,
    port: server.address.port,
    trigger: (reason) => trigger.trigger(reason),
    idle: () => trigger.idle(),
    status,
    async stop() {
      stopping = true;
      for (const t of timers) clearInterval(t);
      if (retryTimer) clearTimeout(retryTimer);
      await closeWatch?.();
      routingWatch?.stop();
      taskPoll?.stop();
      await trigger.stop();
      // After the last run's end, which schedules one.
      settle.stop();
      uptime.stop();
      await cron.stop();
      await backups.stop();
      await Promise.allSettled([...pendingNotifications]);
      await server.close();
      log.info("simulium daemon stopped");
    },
  };
}

/** Quiet time after the last run before its memory is returned: a burst of triggers settles once. */
const SETTLE_AFTER_MS = 1000;

/** The trigger reason of the routing watch (task containers started or stopped). */
const TASKS = "tasks";

function varnishConfigured(cluster: ResolvedCluster): boolean {
  return cluster.varnish.image !== undefined;
}

/** "simulium.yaml is invalid" alone does not say what to fix: the operator needs the located errors. */
async function withManifestErrors(err: ClusterConfigError, dir: string, read: ReadManifests | undefined): Promise<Error> {
  const load = await (read ? read().then((r) => loadFiles(r.files, r.errors)) : loadRepo(dir)).catch(() => undefined);
  const located = (load?.errors ?? []).filter((e) => !e.site).map(formatError);
  return located.length === 0 ? err : new ClusterConfigError(`${err.message}: ${located.join("; ")}`);
}

function errorText(err: unknown): string {
  return redactUrlUserinfo(err instanceof Error ? err.message : String(err));
}

function urlHost(host: string): string {
  return host.includes(":") ? `[${host}]` : host;
}
