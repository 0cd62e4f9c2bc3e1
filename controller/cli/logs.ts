import { Command } from "commander";
import { connectDocker } from "../engine/docker";
import { formatJson, formatLine, LOG_SERVICES, LogLine, parseService, parseSince, parseTail } from "../logs/lines";
import { followSiteLogs, logSources, LogsRequest, readSiteLogs } from "../logs/read";
import { loadRepo } from "../manifests/load";
import { effectiveCluster } from "../manifests/select";

interface LogsOptions {
  repo: string;
  instance?: string;
  service: string;
  since?: string;
  tail?: string;
  follow?: boolean;
  json?: boolean;
}

/**
 * `simulium logs SITE`: the site's services' logs as the engine's log driver keeps them,
 * merged by time and labelled by service and task. Job services (crons, backups) are removed
 * when they end, and their logs with them: a finished job's output is in `simulium status`,
 * the daemon's log and its notifications.
 */
export function register(program: Command): void {
  program
    .command("logs")
    .description("a site's service logs from the engine, merged by time, one line each labelled by service and task (web.1)")
    .argument("<site>", "the site")
    .option("--service <which>", `which services: ${LOG_SERVICES.join(", ")} (cron and backup: the site's jobs still running; a finished job's logs are gone with its service)`, "all")
    .option("--since <when>", "only lines since a duration ago (30m, 1h, 2d) or an ISO time")
    .option("--tail <n>", "only the last N lines of the site (all services together)")
    .option("-f, --follow", "keep printing new lines until Ctrl-C")
    .option("--json", "one JSON object per line: {time, service, task, stream, line}")
    .option("--repo <dir>", "manifests repository (a working tree): names the instance", ".")
    .option("--instance <name>", "controller instance (overrides simulium.yaml)")
    .addHelpText("after", "\nCrons and backups run as job services that are removed when they end, and their logs with them:\na finished job's outcome is in simulium status, the daemon's log and its notifications.")
    .addHelpText("after", "\nExample:\n  $ simulium logs acme --service web --since 1h --tail 50\n  $ simulium logs acme --follow --json | jq -r 'select(.stream == \"stderr\") | .line'\n")
    .action(async (site: string, opts: LogsOptions) => {
      const req: LogsRequest = {
        instance: opts.instance ?? effectiveCluster(await loadRepo(opts.repo), undefined).instance,
        site,
        service: parseService(opts.service),
        ...(opts.since !== undefined ? { since: parseSince(opts.since, new Date()) } : {}),
        ...(opts.tail !== undefined ? { tail: parseTail(opts.tail) } : {}),
      };
      const print = (l: LogLine) => process.stdout.write(opts.json ? formatJson(l) : formatLine(l));
      endQuietlyWhenPipeCloses();
      await show(site, req, opts, print);
    });
}

let pipeGuarded = false;

/**
 * `simulium logs acme | head`: the reader went away; end quietly, as other Unix tools do. The
 * write error comes after the last write returned, so the listener stays for the process.
 */
function endQuietlyWhenPipeCloses(): void {
  if (pipeGuarded) return;
  pipeGuarded = true;
  process.stdout.on("error", (err: NodeJS.ErrnoException) => {
    if (err.code !== "EPIPE") throw err;
    process.exit(0);
  });
}

/** The lines, printed; with --follow until Ctrl-C. */
async function show(site: string, req: LogsRequest, opts: LogsOptions, print: (l: LogLine) => void): Promise<void> {
  const docker = connectDocker();
  const { sources } = await logSources(docker, req);
  if (sources.length === 0) {
    const jobs = req.service === "cron" || req.service === "backup";
    if (!jobs && !opts.follow) throw new Error(`site ${site} has no ${req.service === "all" ? "" : `${req.service} `}service on instance ${req.instance} (not applied yet, or removed)`);
    if (jobs) process.stderr.write(`no ${req.service} job of ${site} is running now; a finished job's logs are gone with its service (its outcome is in simulium status and the daemon's log)\n`);
  }
  if (!opts.follow) {
    for (const l of await readSiteLogs(docker, req)) print(l);
    return;
  }
  const stop = new AbortController();
  const onSigint = () => stop.abort();
  process.once("SIGINT", onSigint);
  try {
    await followSiteLogs(docker, req, { signal: stop.signal, onLine: print });
  } finally {
    process.removeListener("SIGINT", onSigint);
  }
}
