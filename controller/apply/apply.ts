import type Docker from "dockerode";
import { LABEL } from "../desired/labels";
import type { Labels, ServiceSpec } from "../desired/types";
import { engineMessage, engineStatus } from "../engine/docker";
import { removeService, removeWhenFree, waitTasksGone } from "./removal";
import type { ApiService } from "../engine/api-types";
import type { AuthLookup } from "../engine/registry-auth";
import { createService } from "../engine/services";
import type { DeployHooks } from "./deploy-hooks";
import { removeJobService } from "./remove-job";
import type { Logger } from "../log";
import type { LiveState } from "../live/types";
import { compareSlots, HOOK_SLOT, inSyncOrder } from "../plan/sync";
import { Action, DeleteAction, isDeployChange, Plan } from "../plan/types";
import { generateHostKey } from "./host-key";
import { generateSecret } from "./secret-value";
import { serviceSpecToApi } from "./service-spec";
import { APPLY_CONCURRENCY, runLanes, slotsOf } from "./schedule";
import { RolledBack, waitForConvergence } from "./wait-converged";

export interface ApplyOptions {
  readonly instance: string;
  readonly commit: string;
  readonly auth: AuthLookup;
  readonly timeoutSeconds: number;
  readonly log: Logger;
  readonly pollMs?: number;
  /**
   * Apply updates that Swarm already rolled back once (held in the plan). Off for periodic
   * reconciles, which would otherwise retry a broken image on every tick.
   */
  readonly retryFailed?: boolean;
  /** Values of secrets whose source is `provided` or `sealed`, by Swarm secret name. */
  readonly secretValue?: (name: string) => Buffer | undefined;
  /** Called with every live state read while waiting for convergence (routing follows the tasks). */
  readonly onProgress?: (live: LiveState) => Promise<void>;
  /** Sites done of the sites changed, while waiting for convergence (the CLI's progress line). */
  readonly onConverging?: (done: number, total: number) => void;
  /** The sites' preDeploy/postDeploy commands, run around a change of their web service. */
  readonly hooks?: DeployHooks;
  /** Engine calls in flight at once, over different sites of one sync slot; default APPLY_CONCURRENCY. */
  readonly concurrency?: number;
}

export type SiteState = "converged" | "failed" | "unchanged" | "removed" | "retained";

export interface SiteOutcome {
  /** null for the instance's shared objects. */
  readonly site: string | null;
  readonly state: SiteState;
  readonly error?: string;
  /** Actions executed (retain is not an action on the engine). */
  readonly applied: number;
}

export interface ApplyResult {
  readonly sites: readonly SiteOutcome[];
  readonly ok: boolean;
}

/** A site's failure, with the action it happened on. */
class SiteFailure extends Error {}

/**
 * Executes a plan in its order (plan/sync.ts: phases, then waves, across all sites; within a
 * wave, different sites' actions side by side, apply/schedule.ts), then waits once for what
 * changed to converge. One site's failure never stops the others, and a failure of the instance's shared objects fails only
 * the sites whose specs use the object that failed (a held Varnish update fails no site).
 * Removals that need the old tasks gone (superseded secrets, networks, volumes) run only after
 * the wait and after the removed services' tasks are gone, and a site whose update failed
 * keeps its old secrets: the rolled-back tasks still use them.
 */
export async function applyPlan(docker: Docker, plan: Plan, live: LiveState, opts: ApplyOptions): Promise<ApplyResult> {
  const ids = {
    networks: new Map(live.networks.map((n) => [n.name, n.id])),
    secrets: new Map(live.secrets.map((s) => [s.name, s.id])),
  };
  // The order is the plan's data (plan/sync.ts): phases, then waves, across all sites.
  const ordered = inSyncOrder(plan.actions);
  const failures = new Map<string | null, string>();
  const applied = new Map<string | null, number>();
  /** Shared objects whose create or update failed, by name, with why. */
  const sharedFailed = new Map<string, string>();
  const watch: { site: string | null; spec: ServiceSpec }[] = [];
  const deployed: { site: string; spec: ServiceSpec; id?: string }[] = [];
  const removedServices = new Map<string | null, string[]>();
  const bump = (site: string | null) => applied.set(site, (applied.get(site) ?? 0) + 1);
  // A site whose step failed skips its later steps; the shared objects' failures stop nothing
  // (the edge network must not depend on the Varnish service).
  const stopped = (site: string | null) => site !== null && failures.has(site);

  /** PreSync's last wave: the preDeploy hooks of every deploy, once the objects its job needs exist. */
  const preDeploy = async (): Promise<void> => {
    for (const action of ordered) {
      const site = action.site;
      if (!opts.hooks || site === null || !isDeployChange(action) || stopped(site) || !opts.hooks.has(site, "preDeploy")) continue;
      // Left to the update's own step, which reports them.
      if ((action.held && !opts.retryFailed) || failedDependency(action, sharedFailed)) continue;
      const failed = await opts.hooks.run(site, "preDeploy", action.spec).catch((err: unknown) => `preDeploy: ${engineMessage(err)}`);
      if (!failed) continue;
      // Held like a rolled-back update: the next reconcile neither updates nor re-runs the hook until the manifest changes.
      failures.set(site, failed);
      opts.log.error({ site, object: action.name, commit: opts.commit, err: failed }, "preDeploy hook failed: the running version stays");
      await recordRollback(docker, { site, name: action.name, specHash: action.spec.labels[LABEL.specHash] ?? "", reason: failed }, opts);
    }
  };

  /** One action of the Sync order: a site's actions of one slot run in order, other sites' beside them (apply/schedule.ts). */
  const step = async (action: Action): Promise<void> => {
    const site = action.site;
    if (stopped(site)) return;
    if (action.op === "retain" || action.op === "hook" || action.op === "hold") return;
    const needs = site === null ? undefined : failedDependency(action, sharedFailed);
    if (needs) {
      failures.set(site, `shared object ${needs.name} failed, and ${action.name} needs it: ${needs.reason}`);
      return;
    }
    if (action.op === "update" && action.held && !opts.retryFailed) {
      // The update is not sent: the version that serves stays, and the site stays failed.
      failures.set(site, `service ${action.name}: update held, it failed before (rolled back, or its preDeploy hook failed): ${action.heldReason ?? "no reason recorded"}`);
      return;
    }
    try {
      const deploy = opts.hooks && site !== null && isDeployChange(action) ? { site, spec: action.spec } : undefined;
      // The postDeploy hook is owed from the moment the update is sent: marked in the same call.
      // An update of a service that still owes an earlier deploy's postDeploy keeps owing it.
      const owed = action.op === "update" && action.owesPostDeploy && site !== null ? { site, spec: action.spec } : undefined;
      const due = deploy ?? owed;
      const pending: Labels = due && opts.hooks?.has(due.site, "postDeploy") ? { [LABEL.pendingHook]: "postDeploy" } : {};
      await execute(docker, action, ids, opts, pending);
      if (due) deployed.push(due);
      bump(site);
      if (action.op === "delete") removedServices.set(site, [...(removedServices.get(site) ?? []), action.id]);
      else if (action.kind === "service") watch.push({ site, spec: action.spec as ServiceSpec });
    } catch (err) {
      const message = `${action.op} ${action.kind} ${action.name}: ${describeFailure(err, action, opts.instance)}`;
      failures.set(site, message);
      if (site === null && action.op !== "delete") sharedFailed.set(action.name, message);
      opts.log.error({ site, object: action.name, kind: action.kind, op: action.op, commit: opts.commit, err: message }, "action failed");
    }
  };

  // Slot by slot (a slot starts once the previous one finished: the ids its services need
  // exist, the shared objects that failed are known), sites side by side within a slot.
  const concurrency = opts.concurrency ?? APPLY_CONCURRENCY;
  let preDeployed = false;
  for (const { slot, lanes } of slotsOf(ordered.filter((a) => a.phase !== "PostSync"))) {
    if (!preDeployed && compareSlots(slot, HOOK_SLOT.preDeploy) > 0) {
      await preDeploy();
      preDeployed = true;
    }
    await runLanes(lanes, concurrency, step);
  }
  if (!preDeployed) await preDeploy();

  // PostSync, wave 0: postDeploy hooks owed by an update a stopped controller sent run once that update has converged.
  for (const action of ordered) {
    if (action.op !== "hook" || stopped(action.site)) continue;
    deployed.push({ site: action.site, spec: action.spec, id: action.id });
    watch.push({ site: action.site, spec: action.spec });
  }

  const waited = await waitForConvergence(docker, opts, watch, failures);
  for (const [site, reason] of waited.failures) failures.set(site, reason);
  for (const r of waited.rolledBack) await recordRollback(docker, r, opts);
  for (const d of deployed) {
    if (failures.has(d.site)) continue;
    if (!opts.hooks?.has(d.site, "postDeploy")) {
      // Owed by an earlier manifest that had hooks this one no longer has: nothing to run.
      if (d.id !== undefined) await clearPendingHook(docker, d.spec.name, opts);
      continue;
    }
    const failed = await opts.hooks.run(d.site, "postDeploy", d.spec).catch((err: unknown) => `postDeploy: ${engineMessage(err)}`);
    if (failed) {
      failures.set(d.site, failed);
      opts.log.error({ site: d.site, commit: opts.commit, err: failed }, "postDeploy hook failed");
      const recovered = await opts.hooks.recover?.(d.site);
      if (recovered !== undefined) {
        failures.set(d.site, `${failed}; ${recovered}`);
        // Web runs its previous spec again: held like a rolled-back update, so the next reconcile does not redeploy it.
        await recordRollback(docker, { site: d.site, name: d.spec.name, specHash: d.spec.labels[LABEL.specHash] ?? "", reason: failed }, opts);
      }
    } else if (d.id !== undefined) {
      bump(d.site);
    }
    // Ran (passed or failed): no longer owed. A failure is reported, not retried forever.
    // After recover: a label update makes the deployed spec Swarm's PreviousSpec, which is
    // what recover rolls web back to.
    await clearPendingHook(docker, d.spec.name, opts);
  }

  // PostSync, waves 1–3: what the removed services used, once their tasks are gone.
  const later = ordered.filter((a): a is DeleteAction => a.phase === "PostSync" && a.op === "delete");
  const freeing = new Set(later.map((a) => a.site));
  await waitTasksGone(docker, opts.instance, [...freeing].flatMap((site) => removedServices.get(site) ?? []), opts);
  for (const action of later) {
    const site = action.site;
    // A site whose update failed keeps its old secrets: the rolled-back tasks still use them.
    if (failures.has(site) && action.kind === "secret") continue;
    try {
      await removeWhenFree(docker, action, opts);
      opts.log.info({ site: action.site, object: action.name, kind: action.kind, op: "delete", reason: action.reason, commit: opts.commit }, `audit: ${action.kind} removed`);
      bump(site);
    } catch (err) {
      const message = `${action.op} ${action.kind} ${action.name}: ${engineMessage(err)}`;
      failures.set(site, failures.get(site) ?? message);
      opts.log.error({ site, object: action.name, kind: action.kind, op: "delete", commit: opts.commit, err: message }, "action failed");
    }
  }

  const sites: SiteOutcome[] = [];
  for (const p of plan.sites) {
    const site = p.site;
    const error = failures.get(site);
    const count = applied.get(site) ?? 0;
    let state: SiteState;
    if (error) state = "failed";
    else if (p.state === "removed") state = "removed";
    else if (p.state === "retained") state = "retained";
    else state = count > 0 ? "converged" : "unchanged";
    if (p.state === "suspended" || p.state === "invalid") continue;
    sites.push({ site, state, applied: count, ...(error ? { error } : {}) });
  }
  if (failures.has(null)) sites.unshift({ site: null, state: "failed", applied: applied.get(null) ?? 0, error: failures.get(null) });
  return { sites, ok: failures.size === 0 };
}

/** The first failed shared object (network, secret) a site's service spec uses, if any. */
function failedDependency(action: Action, failed: ReadonlyMap<string, string>): { name: string; reason: string } | undefined {
  if (failed.size === 0 || (action.op !== "create" && action.op !== "update") || action.spec.kind !== "service") return undefined;
  const shape = action.spec.shape;
  for (const name of [...shape.networks, ...shape.secrets.map((s) => s.secretName)]) {
    const reason = failed.get(name);
    if (reason !== undefined) return { name, reason };
  }
  return undefined;
}

interface IdMaps {
  readonly networks: Map<string, string>;
  readonly secrets: Map<string, string>;
}

async function execute(docker: Docker, action: Action, ids: IdMaps, opts: ApplyOptions, extraLabels: Labels = {}): Promise<void> {
  const audit = { site: action.site, object: action.name, kind: action.kind, op: action.op, commit: opts.commit };
  if (action.op === "delete") {
    // A job left behind: its exited container holds volumes too, and its runner may remove it meanwhile.
    if (action.reason === "job-finished" || action.reason === "job-expired") await removeJobService(docker, action.id);
    else await removeService(docker, action.id);
    opts.log.info({ ...audit, reason: action.reason }, "audit: service removed");
    return;
  }
  if (action.op === "retain" || action.op === "hook" || action.op === "hold") return;
  const labels = { ...action.spec.labels, ...extraLabels, [LABEL.commit]: opts.commit };
  const spec = action.spec;
  if (action.op === "create") {
    switch (spec.kind) {
      case "network": {
        const net = await docker.createNetwork({ Name: spec.name, Driver: spec.driver, Attachable: spec.attachable, CheckDuplicate: true, Labels: labels });
        ids.networks.set(spec.name, net.id);
        break;
      }
      case "volume":
        await docker.createVolume({ Name: spec.name, Driver: spec.driver, DriverOpts: { ...spec.options }, Labels: labels });
        break;
      case "secret": {
        const value =
          "generate" in spec.source ? generateSecret(spec.source.generate.length) : "sshHostKey" in spec.source ? generateHostKey() : providedValue(spec.name, opts);
        const created = (await docker.createSecret({ Name: spec.name, Labels: labels, Data: Buffer.from(value).toString("base64") })) as { id?: string; ID?: string };
        ids.secrets.set(spec.name, created.id ?? created.ID ?? "");
        break;
      }
      case "service":
        await createService(docker, opts.auth(spec.shape.image), serviceSpecToApi(spec, labels, lookups(ids)));
        break;
    }
    opts.log.info({ ...audit, changes: action.changes }, `audit: ${spec.kind} created`);
    return;
  }
  const apiSpec = serviceSpecToApi(action.spec, labels, lookups(ids));
  if (action.changes.some((c) => c.field === "mode")) {
    // Swarm cannot switch a service between replicated and global in place ("service mode
    // change is not allowed"): the service is replaced. Its tasks are gone first, so the new
    // ones find their host-mode ports free.
    await removeService(docker, action.id);
    await waitTasksGone(docker, opts.instance, [action.id], { timeoutSeconds: opts.timeoutSeconds, upNodesOnly: true, ...(opts.pollMs !== undefined ? { pollMs: opts.pollMs } : {}) });
    try {
      await createService(docker, opts.auth(action.spec.shape.image), apiSpec);
    } catch (err) {
      opts.log.error({ ...audit, err: engineMessage(err) }, `audit: service removed to change its mode and not created again: the next reconcile creates it`);
      throw err;
    }
    opts.log.info({ ...audit, changes: action.changes }, "audit: service replaced (its mode changed)");
    return;
  }
  await docker.getService(action.id).update(opts.auth(action.spec.shape.image), { ...apiSpec, version: action.version });
  opts.log.info({ ...audit, drift: action.drift, changes: action.changes }, "audit: service updated");
}

function providedValue(name: string, opts: ApplyOptions): Buffer {
  const value = opts.secretValue?.(name);
  if (value === undefined) throw new SiteFailure(`the value of secret ${name} is not available to this controller (state directory changed?)`);
  return value;
}

function lookups(ids: IdMaps) {
  const get = (map: Map<string, string>, what: string) => (name: string) => {
    const id = map.get(name);
    if (!id) throw new SiteFailure(`${what} ${name} does not exist`);
    return id;
  };
  return { networkId: get(ids.networks, "network"), secretId: get(ids.secrets, "secret") };
}

/** Docker label values are free text, but a status line is not a log: keep the reason short. */
const MAX_REASON = 300;

/**
 * Marks a rolled-back service with the spec hash that failed and why, on the service's own
 * labels (not its task template: nothing restarts). The next plan holds that update until
 * the manifest changes; a later successful update writes the desired labels, which clears it.
 */
async function recordRollback(docker: Docker, r: RolledBack, opts: ApplyOptions): Promise<void> {
  try {
    await updateLabels(docker, r.name, (labels) => ({ ...labels, [LABEL.failedSpec]: r.specHash, [LABEL.failedReason]: r.reason.slice(0, MAX_REASON) }));
    opts.log.info({ site: r.site, object: r.name, kind: "service", op: "update", commit: opts.commit, failedSpec: r.specHash }, "audit: rolled-back update recorded");
  } catch (err) {
    // Without the mark the next reconcile retries the update: noisy, not harmful.
    opts.log.warn({ site: r.site, object: r.name, err: engineMessage(err) }, "could not record the rolled-back update");
  }
}

/** The postDeploy hook ran: the service no longer owes it (LABEL.pendingHook). */
async function clearPendingHook(docker: Docker, service: string, opts: ApplyOptions): Promise<void> {
  try {
    await updateLabels(docker, service, ({ [LABEL.pendingHook]: _done, ...rest }) => rest);
  } catch (err) {
    // Left set, the next reconcile runs the hook once more: better than never.
    opts.log.warn({ object: service, err: engineMessage(err) }, "could not clear the pending postDeploy mark");
  }
}

/** A label-only service update: Swarm restarts no task for it. */
async function updateLabels(docker: Docker, name: string, change: (labels: Record<string, string>) => Record<string, string>): Promise<void> {
  const service = docker.getService(name);
  const current = (await service.inspect()) as ApiService;
  const spec = current.Spec ?? {};
  await service.update({ ...spec, Labels: change({ ...(spec.Labels ?? {}) }), version: current.Version?.Index ?? 0 });
}

function describeFailure(err: unknown, action: Action, instance: string): string {
  if (err instanceof SiteFailure) return err.message;
  if (action.op === "create" && engineStatus(err) === 409) {
    return `an object with this name already exists and is not owned by instance "${instance}" (another instance, or made by hand); simulium never touches what it does not own: rename the site or remove that object`;
  }
  return engineMessage(err);
}

