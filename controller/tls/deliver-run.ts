import type Docker from "dockerode";
import { setTimeout as sleep } from "node:timers/promises";
import { jobDeadline } from "../apply/job-service";
import { LABEL } from "../desired/labels";
import { names } from "../desired/names";
import type { DesiredState } from "../desired/types";
import type { ApiServiceSpec } from "../engine/api-types";
import { readLive } from "../live/read";
import { everyTask } from "../live/tasks";
import type { LiveState } from "../live/types";
import type { Logger } from "../log";
import type { ResolvedCluster } from "../manifests/types";
import { varnishSettled } from "../routing/after-apply";
import { runOnce } from "../routing/relay";
import { StateStore } from "../state/store";
import { certGeneration, DeliveredCert, deliveryError, deliveryJobSpec, DeliveryRecord, deliveryTargets } from "./deliver";
import { TLS_CERT_ROLE, TLS_SITE_LABEL } from "./render";

const RECORD = "tls/delivered.json";

export interface DeliveryOutcome {
  readonly generation: string;
  /** Per node: null when its hitch tasks reloaded the certificates, else why not. */
  readonly nodes: Readonly<Record<string, string | null>>;
}

/** A certificate secret as the desired or live state names it. */
interface CertSecret {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
}

const isCertSecret = (r: { readonly kind: string; readonly labels: Readonly<Record<string, string>> }): boolean => r.kind === "secret" && r.labels[LABEL.role] === TLS_CERT_ROLE;

export interface DeliverOptions {
  readonly cluster: ResolvedCluster;
  readonly stateDir: string;
  readonly log: Logger;
  readonly pollMs?: number;
  /** How long to wait for the terminator's tasks to run. Default 60 s. */
  readonly timeoutMs?: number;
}

/**
 * After an apply: every running hitch task gets the certificates the desired state renders
 * (deliver.ts), unless the record says it has them; null when there is no terminator. The
 * record is a cache written after a job succeeded: a wrong or lost one costs a job, never a
 * missed delivery (a task it does not name, or another generation, is delivered to).
 */
export async function deliverCertificates(docker: Docker, opts: DeliverOptions & { readonly desired: DesiredState }): Promise<DeliveryOutcome | null> {
  const service = names.tlsService(opts.cluster.instance);
  if (!opts.desired.resources.some((r) => r.kind === "service" && r.name === service)) return null;
  return deliver(docker, opts, opts.desired.resources.filter(isCertSecret));
}

/**
 * Between reconciles (the daemon, when a task of the instance started): a new or restarted
 * hitch task waits for its certificates; they are the live certificate secrets, which the
 * last apply left as the desired state renders them.
 */
export async function deliverToNewTasks(docker: Docker, opts: DeliverOptions): Promise<DeliveryOutcome | null> {
  if (opts.cluster.tls === undefined) return null;
  const live = await readLive(docker, opts.cluster.instance);
  if (!live.services.some((s) => s.name === names.tlsService(opts.cluster.instance))) return null;
  return deliver(docker, opts, live.secrets.filter(isCertSecret));
}

async function deliver(docker: Docker, opts: DeliverOptions, certSecrets: readonly CertSecret[]): Promise<DeliveryOutcome | null> {
  const instance = opts.cluster.instance;
  const service = names.tlsService(instance);
  const generation = certGeneration(certSecrets.map((s) => s.name));
  const live = await waitForTerminator(docker, instance, service, opts);
  const svc = live.services.find((s) => s.name === service);
  if (svc === undefined) return null;
  const store = new StateStore(opts.stateDir, instance, "read-write");
  const record = readRecord(store);
  const targets = deliveryTargets(
    everyTask(live).filter((t) => t.serviceId === svc.id),
    record,
    generation,
  );
  if (targets.size === 0) return { generation, nodes: {} };
  const secretIds = new Map(live.secrets.map((s) => [s.name, s.id]));
  const certs: DeliveredCert[] = certSecrets.map((s) => ({ secretId: secretIds.get(s.name) ?? "", secretName: s.name, target: names.tlsCertTarget(s.labels[TLS_SITE_LABEL] ?? "") }));
  const missing = certs.filter((c) => c.secretId === "").map((c) => c.secretName);
  const spec = ((await docker.getService(svc.id).inspect()) as { Spec: ApiServiceSpec }).Spec;
  const timeoutSeconds = 60;
  const results = await Promise.all(
    [...targets].map(async ([node, tasks]): Promise<[string, string | null, readonly string[]]> => {
      if (missing.length > 0) return [node, `certificate secrets not in the swarm: ${missing.join(", ")}`, tasks];
      try {
        const job = deliveryJobSpec(spec, certs, node, generation, jobDeadline(new Date(), timeoutSeconds));
        return [node, deliveryError(await runOnce(docker, job, timeoutSeconds, opts.pollMs ?? 250), generation), tasks];
      } catch (err) {
        return [node, err instanceof Error ? err.message : String(err), tasks];
      }
    }),
  );
  const delivered = results.flatMap(([, error, tasks]) => (error === null ? tasks : []));
  const kept = record?.generation === generation ? record.tasks : [];
  const running = new Set(everyTask(live).map((t) => t.id));
  store.replace(RECORD, `${JSON.stringify({ generation, tasks: [...new Set([...kept.filter((t) => running.has(t)), ...delivered])].sort() } satisfies DeliveryRecord)}\n`);
  for (const [node, error] of results) {
    if (error === null) opts.log.info({ node, generation, certificates: certs.length }, "certificates delivered to the TLS terminator");
    else opts.log.error({ node, generation, err: error }, "certificates not delivered to the TLS terminator's tasks on this node: they serve the previous ones");
  }
  return { generation, nodes: Object.fromEntries(results.map(([node, error]) => [node, error])) };
}

function readRecord(store: StateStore): DeliveryRecord | undefined {
  const raw = store.read(RECORD);
  if (raw === undefined) return undefined;
  try {
    const parsed = JSON.parse(raw.toString("utf8")) as Partial<DeliveryRecord>;
    return typeof parsed.generation === "string" && Array.isArray(parsed.tasks) ? { generation: parsed.generation, tasks: parsed.tasks.filter((t): t is string => typeof t === "string") } : undefined;
  } catch {
    // A cache: unreadable is the same as none (every task gets the certificates again).
    return undefined;
  }
}

/** Until the terminator's tasks run (apply may just have made or replaced them), as Varnish's in routing/after-apply.ts. */
async function waitForTerminator(docker: Docker, instance: string, service: string, opts: { readonly pollMs?: number; readonly timeoutMs?: number }): Promise<LiveState> {
  const deadline = Date.now() + (opts.timeoutMs ?? 60_000);
  for (;;) {
    const live = await readLive(docker, instance);
    if (varnishSettled(service, live) || Date.now() > deadline) return live;
    await sleep(opts.pollMs ?? 1000);
  }
}
