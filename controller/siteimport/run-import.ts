import type Docker from "dockerode";
import { spawn } from "node:child_process";
import { createReadStream } from "node:fs";
import { enterMaintenance } from "../apply/maintenance";
import { loadAndSwapScript } from "../database/load-swap";
import { names } from "../desired/names";
import type { ApiTask } from "../engine/api-types";
import { engineMessage, engineStatus } from "../engine/docker";
import type { RegistryAuth } from "../engine/registry-auth";
import type { JobResult } from "../jobs/run-job";
import type { Logger } from "../log";
import type { AfterApplyOptions } from "../routing/after-apply";
import { routeAfterMove } from "../routing/after-move";
import type { RoutingResult } from "../routing/sync";
import { ImportError, ImportFailedError } from "./errors";
import type { DumpInput, FilesInput } from "./inputs";
import { IMPORT_EXIT, importJobScript, UPLOAD } from "./job-script";
import { importJobSpec, ImportPlan } from "./plan";
import { placementProblem, SiteOnSwarm, SiteTask } from "./placement";
import { TarEntry, tarStream } from "./tar";
import { runUploadJob } from "./upload-job";

export interface ImportInputs {
  readonly dump?: DumpInput;
  readonly files?: FilesInput;
}

export interface ImportOptions {
  readonly timeoutSeconds: number;
  readonly auth?: RegistryAuth;
  readonly log: Logger;
  readonly onOutput?: (text: string) => void;
  readonly pollMs?: number;
  /** Re-sync routing once web runs again (new tasks, new addresses): every site's manifests. */
  readonly routing?: AfterApplyOptions;
}

export interface ImportResult extends JobResult {
  /** The routing sync after web came back; null without Varnish, undefined when not asked. */
  readonly routing?: RoutingResult | null;
}

/**
 * Imports a dump and/or files into an applied site from this node: checks the site runs here,
 * scales its web service to 0 (Drupal never sees a half-swapped database or half-moved files),
 * runs the import job with the inputs uploaded into it, and scales web back, always; once web
 * runs again, routing is re-synced to its new tasks (opts.routing).
 * Throws ImportError when refused (nothing changed) and ImportFailedError when the job failed.
 */
export async function importSite(docker: Docker, plan: ImportPlan, inputs: ImportInputs, opts: ImportOptions): Promise<ImportResult> {
  const swarm = await siteOnSwarm(docker, plan);
  const problem = placementProblem(plan, swarm);
  if (problem) throw new ImportError(problem);

  const spec = importJobSpec(plan, swarm.localNodeId, {
    ...(plan.volume ? { IMPORT_VOLUME: plan.volume } : {}),
    UPLOAD_WAIT_SECONDS: String(Math.max(60, opts.timeoutSeconds)),
  });
  const web = names.service(plan.site.name, "web");
  opts.log.info({ site: plan.site.name, web }, "scaling web to 0 for the import");
  // Held for the job's timeout and a margin: past that, reconciles may scale the site back.
  const maintenance = await enterMaintenance(docker, web, "import", opts.timeoutSeconds + 300, { pollMs: opts.pollMs });
  const replicas = maintenance.replicas;
  let result: JobResult | undefined;
  let failure: unknown;
  try {
    result = await runUploadJob(docker, {
      spec,
      command: ["sh", "-c", importJobScript(), "import"],
      kind: "import",
      timeoutSeconds: opts.timeoutSeconds,
      upload: (container) => upload(container, inputs),
      ...(opts.auth ? { auth: opts.auth } : {}),
      ...(opts.onOutput ? { onOutput: opts.onOutput } : {}),
      ...(opts.pollMs ? { pollMs: opts.pollMs } : {}),
    });
  } catch (err) {
    failure = err;
  }
  opts.log.info({ site: plan.site.name, web, replicas }, "scaling web back");
  let routing: RoutingResult | null | undefined;
  try {
    await maintenance.leave();
  } catch (err) {
    const outcome = failure instanceof Error ? `the import failed (${failure.message})` : result?.exitCode === 0 ? "the import succeeded" : "the import failed";
    throw new ImportFailedError(`${outcome}, but ${web} could not be scaled back to ${replicas}: ${engineMessage(err)}; simulium apply --site ${plan.site.name} puts it back`, 1);
  } finally {
    // Web's new tasks have new addresses: whatever the outcome, Varnish must list them.
    if (opts.routing) routing = await routeAfterMove(docker, opts.routing);
  }
  if (failure !== undefined || result === undefined) throw failure;
  if (result.exitCode !== IMPORT_EXIT.swapped) {
    throw new ImportFailedError(`the import of ${plan.site.name} failed (exit ${result.exitCode}): ${lastMessage(result.output)}`, result.exitCode);
  }
  return { ...result, ...(routing !== undefined ? { routing } : {}) };
}

/** The job's last `import:` or `load-swap:` line: the one that says the state left. */
export function lastMessage(output: string): string {
  const lines = output.split("\n").filter((l) => /^(import|load-swap): /.test(l));
  const last = lines[lines.length - 1] ?? output.trim().split("\n").pop() ?? "";
  // "the state is the line above": give both.
  if (/the state is the line above/.test(last) && lines.length >= 2) return `${lines[lines.length - 2]} / ${last}`;
  return last;
}

async function siteOnSwarm(docker: Docker, plan: ImportPlan): Promise<SiteOnSwarm> {
  const info = (await docker.info()) as { Swarm?: { NodeID?: string; ControlAvailable?: boolean; LocalNodeState?: string } };
  const localNodeId = info.Swarm?.NodeID ?? "";
  if (info.Swarm?.LocalNodeState !== "active" || !localNodeId) throw new ImportError("this engine is not part of an active swarm: run simulium import on a swarm manager");
  if (!info.Swarm.ControlAvailable) throw new ImportError("this node is not a swarm manager: run simulium import on a manager (the node the site runs on)");
  const idOf = async (name: string): Promise<string | undefined> =>
    docker
      .getService(name)
      .inspect()
      .then((s: { ID: string }) => s.ID)
      .catch((err: unknown) => {
        if (engineStatus(err) === 404) return undefined;
        throw err;
      });
  const site = plan.site.name;
  const [webId, dbId, nodes] = await Promise.all([
    idOf(names.service(site, "web")),
    plan.site.database ? idOf(names.service(site, "db")) : Promise.resolve(undefined),
    docker.listNodes() as Promise<NodeInfo[]>,
  ]);
  const ids = [webId, dbId].filter((id): id is string => id !== undefined);
  const tasks = ids.length === 0 ? [] : ((await docker.listTasks({ filters: { service: ids, "desired-state": ["running"] } })) as ApiTask[]);
  return {
    services: { web: webId !== undefined, db: dbId !== undefined },
    tasks: tasks.flatMap((t): SiteTask[] => {
      if (t.Status?.State !== "running" || !t.NodeID) return [];
      const role = t.ServiceID === dbId ? "db" : t.ServiceID === webId ? "web" : undefined;
      return role ? [{ role, nodeId: t.NodeID }] : [];
    }),
    localNodeId,
    nodeNames: new Map(nodes.map((n) => [n.ID, n.Description?.Hostname ?? n.ID])),
  };
}

/** The part of the engine's node object this needs. */
interface NodeInfo {
  readonly ID: string;
  readonly Description?: { readonly Hostname?: string };
}

/** The load-swap script, the dump and the files into /tmp/import of the job's container; `.ready` last. */
async function upload(container: Docker.Container, inputs: ImportInputs): Promise<void> {
  const script = Buffer.from(loadAndSwapScript());
  const at = (name: string) => `${UPLOAD.dir}/${name}`;
  const entries: TarEntry[] = [
    { type: "dir", name: UPLOAD.dir, mode: 0o700 },
    { type: "file", name: at(UPLOAD.loadSwap), size: script.length, content: () => [script] },
  ];
  const { dump, files } = inputs;
  if (dump) {
    entries.push({ type: "file", name: at(dump.kind === "sql.gz" ? UPLOAD.dumpGz : UPLOAD.dumpSql), size: dump.size, mode: 0o600, content: () => createReadStream(dump.path) });
  }
  if (files?.kind === "archive") entries.push({ type: "file", name: at(UPLOAD.filesTar), size: files.size, mode: 0o600, content: () => createReadStream(files.path) });
  if (files?.kind === "dir") entries.push({ type: "dir", name: at(UPLOAD.filesDir) });
  await container.putArchive(tarStream(entries), { path: UPLOAD.parent });
  if (files?.kind === "dir") await uploadDirectory(container, files.path, `${UPLOAD.parent}/${UPLOAD.dir}/${UPLOAD.filesDir}`);
  await container.putArchive(tarStream([{ type: "file", name: at(UPLOAD.ready), size: 0, content: () => [] }]), { path: UPLOAD.parent });
}

/** A directory's content, as the local tar writes it, extracted by the engine at `target`. */
async function uploadDirectory(container: Docker.Container, dir: string, target: string): Promise<void> {
  const tar = spawn("tar", ["-C", dir, "-c", "-f", "-", "."], { stdio: ["ignore", "pipe", "pipe"] });
  let stderr = "";
  tar.stderr.on("data", (c: Buffer) => (stderr += c.toString()));
  const exited = new Promise<number>((resolve, reject) => {
    tar.on("error", reject);
    tar.on("close", (code) => resolve(code ?? 1));
  });
  // A tar that fails part way makes the engine refuse a truncated archive: tar's error is the cause.
  const uploaded = await container.putArchive(tar.stdout, { path: target }).then(
    () => undefined,
    (err: unknown) => err,
  );
  const code = await exited;
  if (code !== 0) throw new ImportError(`cannot read the directory ${dir} (tar exited ${code}: ${stderr.trim()}); nothing was changed`);
  if (uploaded !== undefined) throw new ImportError(`cannot upload the directory ${dir}: ${engineMessage(uploaded)}; nothing was changed`);
}
