import { Command, InvalidArgumentError } from "commander";
import path from "node:path";
import { startDaemon } from "../daemon/daemon";
import { parseListen } from "../daemon/listen";
import { NotificationsConfig, tokenTransportProblem } from "../daemon/notify";
import { isGitLabApi } from "../daemon/notify-events";
import { PullRequestCommentsConfig, repositoryPathFromUrl } from "../daemon/forge-comments";
import { createLogger, LogFormat } from "../log";
import { acmeControllerOptions, AcmeCliOptions, withAcmeOptions } from "./acme-options";

interface RunCliOptions extends AcmeCliOptions {
  repo: string;
  branch: string;
  listen: string;
  stateDir: string;
  tlsProbeHost?: string;
  webhookSecretFile?: string;
  apiTokenFile?: string;
  forgeCommitUrl?: string;
  sshKeyFile?: string;
  knownHostsFile?: string;
  tokenFile?: string;
  gitUsername?: string;
  pollSeconds: number;
  resyncSeconds: number;
  staleAfterSeconds?: number;
  instance?: string;
  allowMassDelete?: boolean;
  sealingKeyFile?: string;
  notifyUrl: string[];
  notifySecretFile?: string;
  notifySuppressSeconds: number;
  dashboardUrl?: string;
  commitStatusApi?: string;
  commitStatusTokenFile?: string;
  commitStatusRepository?: string;
  commitStatusContext?: string;
  prCommentApi?: string;
  prCommentTokenFile?: string;
  prCommentRepository?: string;
  acceptNewHostKeys?: boolean;
  logFormat?: LogFormat;
  logLevel?: string;
}

const seconds = (min: number, max: number) => (value: string): number => {
  const n = Number(value);
  if (!Number.isInteger(n) || n < min || n > max) throw new InvalidArgumentError(`expected whole seconds between ${min} and ${max}`);
  return n;
};

export function register(program: Command): void {
  withAcmeOptions(program.command("run"))
    .description("the GitOps daemon: keep the swarm converged to a git branch (or a directory), reconcile on push, revert drift")
    .addHelpText("after", "\nExample:\n  $ simulium run --repo git@git.example.org:ops/sites.git --branch main --ssh-key-file /etc/simulium/deploy_key --known-hosts-file /etc/simulium/known_hosts\n  $ simulium run --repo ~/sites   # a local directory: apply on every save\n")
    .requiredOption("--repo <url|dir>", "git URL (ssh://, https://, file://, git@host:path) or a local manifests directory")
    .option("--branch <name>", "branch to follow (git sources)", "main")
    .option("--listen <host:port>", "address of /healthz, /readyz, /status, /metrics and /hooks/git", "127.0.0.1:9090")
    .option("--state-dir <dir>", "where the clone of a git source is kept", "/var/lib/simulium")
    .option("--tls-probe-host <host>", "where the served certificates are measured (a node running the TLS terminator)", "127.0.0.1")
    .option("--webhook-secret-file <file>", "enables POST /hooks/git, signed with this secret")
    .option("--api-token-file <file>", "bearer token required by /status, /metrics and the /dashboard (without it they answer 404)")
    .option("--forge-commit-url <url>", "the forge's page of a commit, {sha} standing for the sha (dashboard links), e.g. https://git.example.org/acme/sites/commit/{sha}", forgeUrl)
    .option("--dashboard-url <url>", "the daemon's base URL as reviewers reach it (https; http only to loopback): each pull request's plan status links its page there", dashboardUrl)
    .option("--ssh-key-file <file>", "SSH deploy key for the git remote")
    .option("--known-hosts-file <file>", "known_hosts of the git remote's SSH host: an SSH remote whose key is not in it is refused")
    .option("--accept-new-host-keys", "trust an SSH host key seen for the first time and pin it (into --known-hosts-file if given)")
    .option("--token-file <file>", "HTTPS access token for the git remote")
    .option("--git-username <name>", "user name sent with --token-file")
    .option("--poll-seconds <n>", "how often the branch is fetched", seconds(1, 3600), 60)
    .option("--resync-seconds <n>", "full reconcile even without a new commit (reverts drift)", seconds(5, 86400), 300)
    .option("--stale-after-seconds <n>", "/readyz fails when the last successful sync is older (default 3 × poll)", seconds(5, 86400))
    .option("--instance <name>", "controller instance (overrides simulium.yaml)")
    .option("--allow-mass-delete", "allow a commit that removes more than half of the running sites")
    .option("--sealing-key-file <file>", "age identity that decrypts sealed secrets; default $SIMULIUM_SEALING_KEY_FILE")
    .option("--notify-url <url...>", "POST signed JSON events (site failed/invalid/recovered/degraded, commit applied, alerts) here", [])
    .option("--notify-secret-file <file>", "HMAC secret for --notify-url")
    .option("--notify-suppress-seconds <n>", "repeat interval of an unchanged failure", seconds(0, 604800), 3600)
    .option("--commit-status-api <url>", "post success/failure per applied commit to this GitHub, Gitea/Forgejo (…/api/v1) or GitLab (…/api/v4) API root (https)")
    .option("--commit-status-token-file <file>", "API token for --commit-status-api")
    .option("--commit-status-repository <owner/name>", "repository of the commit statuses, or GitLab's project path group/sub/project (default: from --repo)")
    .option("--commit-status-context <name>", "name shown next to the status (default simulium/<instance>)")
    .option("--pr-comment-api <url>", "post the plan of each pull request as one comment, edited on every push, through this GitHub/Gitea/Forgejo or GitLab API root (https)")
    .option("--pr-comment-token-file <file>", "API token for --pr-comment-api")
    .option("--pr-comment-repository <path>", "owner/name (GitLab: the project's full path) of the pull requests (default: from --repo)")
    .action(async (opts: RunCliOptions, cmd: Command) => {
      const globals = cmd.optsWithGlobals<RunCliOptions>();
      // A daemon's logs go to a shipper: JSON unless asked otherwise.
      const log = createLogger({ format: globals.logFormat ?? "json", level: globals.logLevel });
      if (opts.notifyUrl.length > 0 && !opts.notifySecretFile) throw new InvalidArgumentError("--notify-url needs --notify-secret-file");
      const commitStatus = commitStatusOptions(opts);
      const pullRequestComments = prCommentOptions(opts);
      const acme = acmeControllerOptions(opts);
      const daemon = await startDaemon({
        repo: opts.repo,
        branch: opts.branch,
        stateDir: path.resolve(opts.stateDir),
        ...(opts.tlsProbeHost !== undefined ? { tlsProbeHost: opts.tlsProbeHost } : {}),
        listen: parseListen(opts.listen),
        webhookSecretFile: opts.webhookSecretFile,
        apiTokenFile: opts.apiTokenFile,
        ...(opts.forgeCommitUrl ? { forgeCommitUrl: opts.forgeCommitUrl } : {}),
        ...(opts.dashboardUrl ? { dashboardUrl: opts.dashboardUrl } : {}),
        credentials: {
          sshKeyFile: opts.sshKeyFile,
          knownHostsFile: opts.knownHostsFile,
          acceptNewHostKeys: opts.acceptNewHostKeys,
          tokenFile: opts.tokenFile,
          username: opts.gitUsername,
        },
        pollSeconds: opts.pollSeconds,
        resyncSeconds: opts.resyncSeconds,
        staleAfterSeconds: opts.staleAfterSeconds,
        instance: opts.instance,
        allowMassDelete: opts.allowMassDelete,
        sealingKeyFile: opts.sealingKeyFile,
        acme,
        notify: {
          ...(opts.notifySecretFile ? { secretFile: opts.notifySecretFile } : {}),
          urls: opts.notifyUrl,
          suppressSeconds: opts.notifySuppressSeconds,
          ...(commitStatus ? { commitStatus } : {}),
          ...(pullRequestComments ? { pullRequestComments } : {}),
        },
        log,
      });
      await new Promise<void>((resolve) => {
        let stopping = false;
        const shutdown = (signal: NodeJS.Signals): void => {
          if (stopping) return;
          stopping = true;
          log.info({ signal }, "stopping: waiting for the reconcile in flight");
          daemon.stop().then(resolve, (err: unknown) => {
            log.error({ err: err instanceof Error ? err.message : String(err) }, "unclean stop");
            process.exitCode = 1;
            resolve();
          });
        };
        process.once("SIGTERM", shutdown);
        process.once("SIGINT", shutdown);
      });
      // Idle keep-alive sockets (engine API, notification targets) must not hold a stopped daemon open.
      process.exit(process.exitCode ?? 0);
    });
}

/** The commit status target: the operator's flags only (see manifests/controller-only.ts). */
function commitStatusOptions(opts: RunCliOptions): NotificationsConfig["commitStatus"] {
  const { commitStatusApi: api, commitStatusTokenFile: tokenFile } = opts;
  if (api === undefined && tokenFile === undefined) {
    if (opts.commitStatusRepository !== undefined || opts.commitStatusContext !== undefined) {
      throw new InvalidArgumentError("--commit-status-repository and --commit-status-context need --commit-status-api and --commit-status-token-file");
    }
    return undefined;
  }
  if (api === undefined || tokenFile === undefined) throw new InvalidArgumentError("--commit-status-api and --commit-status-token-file go together");
  const transport = tokenTransportProblem(api);
  if (transport) throw new InvalidArgumentError(`--commit-status-api ${transport}`);
  if (opts.commitStatusRepository !== undefined && !repositoryPattern(api).test(opts.commitStatusRepository)) {
    throw new InvalidArgumentError(isGitLabApi(api) ? "--commit-status-repository must be GitLab's project path, group/project or group/sub/project" : "--commit-status-repository must be owner/name");
  }
  return {
    api: api.replace(/\/+$/, ""),
    tokenFile,
    ...(opts.commitStatusRepository ? { repository: opts.commitStatusRepository } : {}),
    ...(opts.commitStatusContext ? { context: opts.commitStatusContext } : {}),
  };
}

/** The pull request comments' API: the operator's flags only, with the commit status's rules. */
export function prCommentOptions(opts: Pick<RunCliOptions, "prCommentApi" | "prCommentTokenFile" | "prCommentRepository">): PullRequestCommentsConfig | undefined {
  const { prCommentApi: api, prCommentTokenFile: tokenFile, prCommentRepository: repository } = opts;
  if (api === undefined && tokenFile === undefined) {
    if (repository !== undefined) throw new InvalidArgumentError("--pr-comment-repository needs --pr-comment-api and --pr-comment-token-file");
    return undefined;
  }
  if (api === undefined || tokenFile === undefined) throw new InvalidArgumentError("--pr-comment-api and --pr-comment-token-file go together");
  const transport = tokenTransportProblem(api);
  if (transport) throw new InvalidArgumentError(`--pr-comment-api ${transport}`);
  if (repository !== undefined && repositoryPathFromUrl(`https://forge/${repository}`) !== repository) {
    throw new InvalidArgumentError("--pr-comment-repository must be owner/name or a GitLab group/…/project path");
  }
  return { api: api.replace(/\/+$/, ""), tokenFile, ...(repository !== undefined ? { repository } : {}) };
}

/**
 * `--dashboard-url`: reviewers sign in there with the API token, so it is held to the token's
 * rule (https, plain http only to loopback). A base URL: no credentials, query or fragment.
 */
export function dashboardUrl(value: string): string {
  const transport = tokenTransportProblem(value);
  if (transport) throw new InvalidArgumentError(`--dashboard-url ${transport}`);
  const u = new URL(value);
  if (u.username !== "" || u.password !== "" || u.search !== "" || u.hash !== "" || value.includes("?") || value.includes("#")) {
    throw new InvalidArgumentError("--dashboard-url is a base URL: no user, query or fragment");
  }
  return value.replace(/\/+$/, "");
}

function forgeUrl(value: string): string {
  if (!/^https?:\/\/[^\s]+$/i.test(value) || !value.includes("{sha}")) {
    throw new InvalidArgumentError(`"${value}" is not an http(s) URL containing {sha}`);
  }
  return value;
}

/** owner/name; on GitLab a project may sit in subgroups. */
function repositoryPattern(api: string): RegExp {
  return isGitLabApi(api) ? /^[A-Za-z0-9_.-]+(\/[A-Za-z0-9_.-]+)+$/ : /^[A-Za-z0-9_.-]+\/[A-Za-z0-9_.-]+$/;
}
