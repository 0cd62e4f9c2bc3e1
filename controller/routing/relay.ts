import type Docker from "dockerode";
import { randomBytes } from "node:crypto";
import { PassThrough } from "node:stream";
import { setTimeout as sleep } from "node:timers/promises";
import { jobDeadline, jobFromService } from "../apply/job-service";
import { removeJobService } from "../apply/remove-job";
import { JOB_ROLE, LABEL as LABEL } from "../desired/labels";
import type { ApiServiceSpec, ApiTask } from "../engine/api-types";
import { demuxLogs } from "../engine/log-frames";
import { createService } from "../engine/services";
import type { LiveTask } from "../live/types";
import type { Logger } from "../log";
import { encodeHeredoc } from "../varnish/admin-protocol";
import { vclHash } from "../varnish/vcl";

/**
 * The VCL push for Varnish tasks this process cannot reach: a CLI on a manager reaches only
 * the tasks of its own node (on docker_gwbridge), a process off the swarm's nodes none. The
 * push then runs as a short Swarm job in the Varnish image (which has varnishadm), attached to
 * the instance's admin network only, where every Varnish task's admin port listens, on every
 * node. It uses the admin secret the Varnish service mounts (never an argument or a label) and
 * does what varnish/load.ts does over the admin protocol: a VCL already active is left alone,
 * a new one is loaded as `s_<hash12>` and made active, simulium's older ones beyond `keep`
 * are discarded. One job for all unreachable tasks: a second or two, not one per node.
 */

const SECRET = "/run/secrets/varnish-secret";
const ADMIN_PORT = 6082;

/**
 * Arguments: keep, hash12, VCL, then the admin addresses. One line per address on stdout:
 * `simulium-relay <ip> ok <name> changed|unchanged` or `simulium-relay <ip> error <message>`.
 */
export const RELAY_SCRIPT = `
keep="$1"; hash="$2"; vcl="$3"; shift 3
adm() { varnishadm -t 10 -T "$ip:${ADMIN_PORT}" -S ${SECRET} "$@" 2>&1; }
one() { tr '\\n' ' ' | sed 's/  */ /g; s/ $//'; }
push() {
  ip="$1"
  # A task just reported running may not listen yet (as connectWithRetry in sync.ts): 15 s.
  tries=0
  until list="$(adm vcl.list)"; do
    tries=$((tries + 1)); [ "$tries" -ge 30 ] && break
    sleep 0.5
  done
  if [ "$tries" -ge 30 ]; then echo "simulium-relay $ip error $(printf '%s' "$list" | one)"; return 1; fi
  active="$(printf '%s\\n' "$list" | awk '$1 == "active" { print $NF }')"
  case "$active" in s_$hash|s_\${hash}_*) echo "simulium-relay $ip ok $active unchanged"; return 0 ;; esac
  name="$(printf '%s\\n' "$list" | awk -v h="s_$hash" '$1 == "available" && ($NF == h || index($NF, h "_") == 1) { n = $NF } END { print n }')"
  if [ -z "$name" ]; then
    name="s_$hash"; n=2
    while printf '%s\\n' "$list" | awk -v x="$name" '$NF == x { f = 1 } END { exit !f }'; do name="s_\${hash}_$n"; n=$((n + 1)); done
    if ! out="$(adm vcl.inline "$name" "$vcl")"; then echo "simulium-relay $ip error $(printf '%s' "$out" | one)"; return 1; fi
  fi
  if ! out="$(adm vcl.use "$name")"; then echo "simulium-relay $ip error $(printf '%s' "$out" | one)"; return 1; fi
  # simulium's configurations in load order; all but the last $keep and the active one go.
  adm vcl.list | awk -v keep="$keep" '$NF ~ /^s_[0-9a-f]{12}(_[0-9]+)?$/ && $1 != "discarded" { s[++c] = $1; v[c] = $NF }
    END { for (i = 1; i <= c - keep; i++) if (s[i] == "available") print v[i] }' |
    while read -r old; do adm vcl.discard "$old" >/dev/null || true; done
  echo "simulium-relay $ip ok $name changed"
}
# Every task at once: each compiles the VCL itself, so one after the other was the sum of the
# compiles (seconds per node), at once it is the slowest one. Each task's report is one echo.
pids=""
for ip in "$@"; do push "$ip" & pids="$pids $!"; done
rc=0
for pid in $pids; do wait "$pid" || rc=1; done
exit $rc
`;

export interface RelayedTask {
  readonly task: string;
  readonly ip: string;
  readonly nodeId: string | null;
}

export interface RelayOutcome {
  readonly task: string;
  readonly ip: string;
  readonly ok: boolean;
  readonly changed?: boolean;
  readonly vclName?: string;
  readonly error?: string;
  /** How the relay ran: by exec in a Varnish task, or as a job. */
  readonly via?: "exec" | "job";
}

/** The job's output → one outcome per task; a task the job said nothing of failed. Pure. */
export function parseRelayOutput(output: string, tasks: readonly RelayedTask[]): RelayOutcome[] {
  const said = new Map<string, string>();
  for (const line of output.split("\n")) {
    const m = /^simulium-relay (\S+) (.*)$/.exec(line.trim());
    if (m) said.set(m[1] as string, m[2] as string);
  }
  return tasks.map((t) => {
    const text = said.get(t.ip);
    const ok = text === undefined ? undefined : /^ok (\S+) (changed|unchanged)$/.exec(text);
    if (ok) return { task: t.task, ip: t.ip, ok: true, vclName: ok[1], changed: ok[2] === "changed" };
    const error = text?.startsWith("error ") ? text.slice("error ".length) : `the relay job did not report this task: ${lastLines(output)}`;
    return { task: t.task, ip: t.ip, ok: false, error: `via the relay job: ${error}` };
  });
}

/**
 * varnishadm joins its arguments with spaces, unquoted: the VCL goes as the CLI's here-document
 * (`<< MARKER\n…\nMARKER`, varnish/admin-protocol.ts), which the CLI takes as one argument. Pure.
 */
export function heredocArgument(vcl: string): string {
  return encodeHeredoc("vcl.inline", ["x"], vcl).slice("vcl.inline x ".length, -1);
}

const lastLines = (text: string): string => text.trim().split("\n").slice(-3).join(" | ") || "(no output)";

/**
 * The relay job's environment: the Varnish service as it runs (its image, its admin secret),
 * on the admin network only (no site's network, no published port, no state volume). Pure.
 */
export function relaySource(varnish: ApiServiceSpec, adminNetworkId: string, nodeId: string | null): ApiServiceSpec {
  const template = varnish.TaskTemplate ?? {};
  const { Mounts: _mounts, ...container } = template.ContainerSpec ?? {};
  const instance = varnish.Labels?.[LABEL.instance];
  if (instance === undefined) throw new Error(`internal: ${varnish.Name ?? "the Varnish service"} has no instance label`);
  return {
    ...varnish,
    Labels: { [LABEL.instance]: instance },
    TaskTemplate: {
      ...template,
      ContainerSpec: { ...container, Env: [] },
      Networks: (template.Networks ?? []).filter((n) => n.Target === adminNetworkId),
      // Where a Varnish task runs, the image is there: no pull (and no registry credentials) needed.
      Placement: nodeId !== null ? { Constraints: [`node.id==${nodeId}`] } : {},
    },
  };
}

/**
 * Pushes `vcl` to the given tasks (by their admin-network address): by exec in a Varnish task
 * running on the engine's own node when there is one (`varnish`: the running Varnish tasks),
 * else through one relay job. Both run RELAY_SCRIPT with the Varnish image's varnishadm and
 * admin secret on the admin network; the exec costs one API round trip where the job costs a
 * service create, its scheduling, a container start, polling and a removal (seconds).
 */
export async function relayVcl(
  docker: Docker,
  opts: { varnishService: string; adminNetworkId: string; tasks: readonly RelayedTask[]; varnish?: readonly LiveTask[]; vcl: string; keep: number; log: Logger; timeoutSeconds?: number; pollMs?: number },
): Promise<RelayOutcome[]> {
  if (opts.tasks.length === 0) return [];
  try {
    const here = ((await docker.info()) as { Swarm?: { NodeID?: string } }).Swarm?.NodeID ?? null;
    const timeout = opts.timeoutSeconds ?? 60;
    const args = [String(opts.keep), vclHash(opts.vcl).slice(0, 12), heredocArgument(opts.vcl), ...opts.tasks.map((t) => t.ip)];
    const local = execHost(opts.varnish ?? [], here);
    if (local !== null) {
      const output = await execRelay(docker, local, args, timeout).catch((err: unknown) => {
        // Gone between the read and now (a task replaced): the job still reaches them all.
        opts.log.warn({ container: local, err: err instanceof Error ? err.message : String(err) }, "routing relay by exec failed; using a relay job");
        return null;
      });
      if (output !== null) return parseRelayOutput(output, opts.tasks).map((o) => ({ ...o, via: "exec" as const }));
    }
    const varnish = ((await docker.getService(opts.varnishService).inspect()) as { Spec: ApiServiceSpec }).Spec;
    // The engine's own node when a target runs there (it answers, so it is up), else a target's.
    const node = opts.tasks.find((t) => t.nodeId !== null && t.nodeId === here)?.nodeId ?? opts.tasks[0]?.nodeId ?? null;
    const spec = relayJobSpec(relaySource(varnish, opts.adminNetworkId, node), `${opts.varnishService}-relay-${randomBytes(3).toString("hex")}`, args, jobDeadline(new Date(), timeout));
    const output = await runOnce(docker, spec, timeout, opts.pollMs ?? 250);
    return parseRelayOutput(output, opts.tasks).map((o) => ({ ...o, via: "job" as const }));
  } catch (err) {
    const error = `via the relay job: ${err instanceof Error ? err.message : String(err)}`;
    opts.log.error({ err: error }, "routing not updated on Varnish tasks this process cannot reach");
    return opts.tasks.map((t) => ({ task: t.task, ip: t.ip, ok: false, error }));
  }
}

/**
 * The container of a running Varnish task on the engine's own node (`here`), whose engine can
 * exec in it; null when none runs there (or the engine is not a swarm node). Pure.
 */
export function execHost(varnish: readonly LiveTask[], here: string | null): string | null {
  if (here === null) return null;
  const t = varnish.find((x) => x.nodeId === here && x.containerId !== null && x.state === "running" && x.desiredState === "running");
  return t?.containerId ?? null;
}

/** RELAY_SCRIPT by exec in `container`; its stdout and stderr, once it exits or `timeoutSeconds` pass. */
async function execRelay(docker: Docker, container: string, args: readonly string[], timeoutSeconds: number): Promise<string> {
  const exec = await docker.getContainer(container).exec({ Cmd: ["sh", "-c", RELAY_SCRIPT, "relay", ...args], AttachStdout: true, AttachStderr: true });
  const stream = await exec.start({ hijack: true, stdin: false });
  const out = new PassThrough();
  const chunks: Buffer[] = [];
  out.on("data", (c: Buffer) => chunks.push(c));
  docker.modem.demuxStream(stream, out, out);
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => {
      stream.destroy();
      reject(new Error(`the relay exec did not finish within ${timeoutSeconds} s`));
    }, timeoutSeconds * 1000);
    const done = (): void => {
      clearTimeout(timer);
      resolve();
    };
    stream.on("end", done);
    stream.on("close", done);
    stream.on("error", (err: Error) => {
      clearTimeout(timer);
      reject(err);
    });
  });
  return Buffer.concat(chunks).toString("utf8");
}

/**
 * The relay as a one-shot Swarm job: the script as the command, labelled as the instance's job
 * with its deadline (a relay left behind by a killed CLI is removed by the next reconcile,
 * plan/stale-jobs.ts). Pure.
 */
export function relayJobSpec(source: ApiServiceSpec, name: string, args: readonly string[], deadline: Date): ApiServiceSpec {
  return jobFromService(source, { ...source.Labels, [LABEL.role]: JOB_ROLE }, name, args, deadline, ["sh", "-c", RELAY_SCRIPT, "relay"]);
}

/** Creates the job, waits for its end, returns its output; the job is removed whatever happens. Also tls/deliver-run.ts's. */
export async function runOnce(docker: Docker, spec: ApiServiceSpec, timeoutSeconds: number, pollMs: number): Promise<string> {
  // No credentials: the job runs where the image is (relaySource's placement).
  const id = (await createService(docker, undefined, spec)) ?? spec.Name ?? "";
  try {
    const deadline = Date.now() + timeoutSeconds * 1000;
    for (;;) {
      const task = ((await docker.listTasks({ filters: { service: [id] } })) as ApiTask[])[0];
      const state = task?.Status?.State ?? "";
      if (state === "complete" || state === "failed") break;
      if (["rejected", "orphaned", "remove", "shutdown"].includes(state)) throw new Error(`job ${spec.Name ?? id} task ${state}: ${task?.Status?.Err ?? task?.Status?.Message ?? "no reason given"}`);
      if (Date.now() > deadline) throw new Error(`job ${spec.Name ?? id} did not finish within ${timeoutSeconds} s (task ${state || "not scheduled"}: ${task?.Status?.Err ?? task?.Status?.Message ?? ""})`);
      await sleep(pollMs);
    }
    return demuxLogs(await docker.getService(id).logs({ stdout: true, stderr: true, follow: false }));
  } finally {
    await removeJobService(docker, id).catch(() => undefined);
  }
}

/** The tasks of `tasks` to relay: those with an address on the admin network. */
export function relayTargets(tasks: readonly LiveTask[], adminNetwork: string): { relayed: RelayedTask[]; unaddressed: LiveTask[] } {
  const relayed: RelayedTask[] = [];
  const unaddressed: LiveTask[] = [];
  for (const t of tasks) {
    const ip = t.addresses[adminNetwork];
    if (ip) relayed.push({ task: t.id, ip, nodeId: t.nodeId });
    else unaddressed.push(t);
  }
  return { relayed, unaddressed };
}
