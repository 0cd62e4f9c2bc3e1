import { Command, InvalidArgumentError } from "commander";
import path from "node:path";
import { simpleGit } from "simple-git";
import { LABEL } from "../desired/labels";
import { connectDocker, engineMessage } from "../engine/docker";
import { SITE_NAME, SITES_DIR } from "../manifests/layout";
import { LOG_FORMAT, parseLog } from "../source/git-log";
import type { Revision } from "../source/types";

interface HistoryOptions {
  repo: string;
  limit: number;
  json?: boolean;
}

export interface HistoryEntry extends Revision {
  readonly applied: boolean;
}

export interface SiteHistory {
  readonly site: string;
  /** The simulium.commit label of the site's web service; null when not running, undefined when the engine could not be asked. */
  readonly appliedCommit: string | null | undefined;
  readonly engineError?: string;
  readonly commits: readonly HistoryEntry[];
}

export function register(program: Command): void {
  program
    .command("history")
    .description("the commits that changed a site's manifest, and which one the swarm runs")
    .addHelpText("after", "\nExample:\n  $ simulium history acme --repo ~/sites --limit 10\n")
    .argument("<site>", "site name")
    .option("--repo <dir>", "manifests repository (a git work tree)", ".")
    .option("--limit <n>", "at most this many commits", (v: string) => positive(v), 50)
    .option("--json", "print JSON")
    .action(async (site: string, opts: HistoryOptions) => {
      if (!SITE_NAME.test(site)) throw new InvalidArgumentError(`"${site}" is not a site name`);
      const history = await siteHistory(site, opts.repo, opts.limit);
      if (opts.json) process.stdout.write(JSON.stringify(history, null, 2) + "\n");
      else process.stdout.write(renderHistory(history));
    });
}

export async function siteHistory(site: string, repo: string, limit: number): Promise<SiteHistory> {
  const git = simpleGit({ baseDir: path.resolve(repo) });
  // --follow: a site file that was renamed keeps its earlier history.
  const out = await git.raw(["log", "--follow", `-n${limit}`, `--format=${LOG_FORMAT}`, "--", `${SITES_DIR}/${site}.yaml`]);
  const revisions = parseLog(out);
  if (revisions.length === 0) throw new Error(`no commit touched ${SITES_DIR}/${site}.yaml in ${repo}`);
  let appliedCommit: string | null | undefined;
  let engineError: string | undefined;
  try {
    appliedCommit = await appliedCommitOf(site);
  } catch (err) {
    engineError = engineMessage(err);
  }
  return {
    site,
    appliedCommit,
    ...(engineError ? { engineError } : {}),
    commits: revisions.map((r) => ({ ...r, applied: r.sha === appliedCommit })),
  };
}

async function appliedCommitOf(site: string): Promise<string | null> {
  const services = await connectDocker().listServices({ filters: { label: [`${LABEL.site}=${site}`, `${LABEL.role}=web`] } });
  return services[0]?.Spec?.Labels?.[LABEL.commit] ?? null;
}

export function renderHistory(h: SiteHistory): string {
  const lines = h.commits.map((c) => `${c.applied ? "*" : " "} ${c.sha.slice(0, 12)}  ${c.date.slice(0, 19).replace("T", " ")}  ${c.author.padEnd(20)}  ${c.subject}`);
  if (h.engineError) lines.push(`(engine unreachable, applied commit unknown: ${h.engineError})`);
  else if (h.appliedCommit === null) lines.push(`(${h.site} is not running)`);
  else if (h.appliedCommit && !h.commits.some((c) => c.applied)) lines.push(`(running commit ${h.appliedCommit.slice(0, 12)}, not among these; "local" means uncommitted files were applied)`);
  else lines.push("(* = the commit the swarm runs)");
  return lines.join("\n") + "\n";
}

function positive(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError("expected a positive whole number");
  return n;
}
