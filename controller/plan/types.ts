import type { Kind, ResourceSpec, ServiceSpec } from "../desired/types";
import type { ManifestError } from "../manifests/types";
import type { SyncSlot } from "./sync";

/** One field that differs: `+` added, `-` removed, `~` changed. Never carries a secret value. */
export interface Change {
  readonly field: string;
  readonly op: "+" | "-" | "~";
  readonly before?: string;
  readonly after?: string;
}

/** `phase` and `wave` (plan/sync.ts): when apply runs the action. */
interface ActionBase extends SyncSlot {
  readonly kind: Kind;
  /** null for the instance's shared objects. */
  readonly site: string | null;
  readonly name: string;
  readonly changes: readonly Change[];
}

export interface CreateAction extends ActionBase {
  readonly op: "create";
  readonly spec: ResourceSpec;
}

export interface UpdateAction extends ActionBase {
  readonly op: "update";
  readonly kind: "service";
  readonly spec: ServiceSpec;
  readonly id: string;
  readonly version: number;
  /** True when the manifest did not change but the live object did (edited by hand). */
  readonly drift: boolean;
  /**
   * Swarm already rolled this exact spec back (see LABEL.failedSpec): applied only when the
   * operator asks for a retry, never by a periodic reconcile. `heldReason` is why it failed.
   */
  readonly held: boolean;
  readonly heldReason?: string;
  /**
   * The change reaches what the site runs (image, command, environment, secrets, mounts): a
   * deploy, around which the site's hooks run. A change of labels (domains, cache settings),
   * replicas or resources is not one.
   */
  readonly deploy: boolean;
  /**
   * The live service still owes the postDeploy of an earlier deploy (LABEL.pendingHook): the
   * update keeps the mark, and the hook runs once this update has converged.
   */
  readonly owesPostDeploy: boolean;
}

export interface DeleteAction extends ActionBase {
  readonly op: "delete";
  readonly id: string;
  /** job-finished / job-expired: a job service its runner left behind (controller/plan/stale-jobs.ts). */
  readonly reason: "site-removed" | "no-longer-declared" | "superseded" | "deletion-policy" | "job-finished" | "job-expired";
}

/**
 * A postDeploy hook of an update that was applied but whose hook never ran (the controller
 * stopped in between): the service carries LABEL.pendingHook until it has run.
 */
export interface HookAction extends ActionBase {
  readonly op: "hook";
  readonly kind: "service";
  readonly site: string;
  readonly hook: "postDeploy";
  readonly spec: ServiceSpec;
  readonly id: string;
}

/**
 * Kept on purpose (data of a removed site or a removed volume, or the volumes a `simulium
 * move` left on the node it moved the site from): shown, never changed.
 */
export interface RetainAction extends ActionBase {
  readonly op: "retain";
  readonly id: string;
  readonly reason: "site-removed" | "no-longer-declared" | "moved-away";
  /** moved-away: the node (hostname, else ID) the volume is kept on. */
  readonly node?: string;
}

/**
 * A service under a maintenance hold (LABEL.maintenance: a restore or an import has it scaled
 * to 0 while it replaces the data): its changes wait until the hold ends. Shown, never sent.
 */
export interface HoldAction extends ActionBase {
  readonly op: "hold";
  readonly kind: "service";
  /** The spec that waits (desired, not sent). */
  readonly spec: ServiceSpec;
  readonly id: string;
  /** What holds it ("restore", "import") and until when (ISO 8601). */
  readonly what: string;
  readonly until: string;
}

export type Action = CreateAction | UpdateAction | DeleteAction | RetainAction | HookAction | HoldAction;

/** An action before plan/sync.ts has given it its place. */
export type Unplaced<T extends Action = Action> = T extends Action ? Omit<T, "phase" | "wave"> : never;

export type SiteState = "changed" | "unchanged" | "suspended" | "invalid" | "removed" | "retained";

export interface SitePlan {
  readonly site: string;
  readonly state: SiteState;
}

export interface Plan {
  readonly instance: string;
  readonly actions: readonly Action[];
  readonly sites: readonly SitePlan[];
  /** Differences the plan cannot apply (immutable objects), for the operator to act on. */
  readonly warnings: readonly { readonly site: string | null; readonly name: string; readonly message: string }[];
  readonly errors: readonly ManifestError[];
}

/** Actions that change something: `retain` and `hold` are reports, not changes. */
export const isMutation = (a: Action): boolean => a.op !== "retain" && a.op !== "hold";

/**
 * Hooks belong to a deploy: an update of the web service that changes what it runs (see
 * UpdateAction.deploy). A drift correction puts back the spec the hooks already ran for, a
 * change of domains or cache settings is a label, and a no-op reconcile has no update at all:
 * none of them runs a hook.
 */
export function isDeployChange(a: Action): a is UpdateAction {
  return a.op === "update" && a.deploy;
}

