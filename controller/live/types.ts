import type { Labels, ServiceShape } from "../desired/types";
import type { TemplateFingerprint } from "./fingerprint";

interface LiveBase {
  readonly id: string;
  readonly name: string;
  /** From the simulium.site label; null for the instance's shared objects. */
  readonly site: string | null;
  readonly labels: Labels;
}

export interface LiveNetwork extends LiveBase {
  readonly kind: "network";
  readonly driver: string;
  readonly attachable: boolean;
  readonly subnets: readonly string[];
}

export interface LiveVolume extends LiveBase {
  readonly kind: "volume";
  readonly driver: string;
  readonly options: Readonly<Record<string, string>>;
}

export interface LiveSecret extends LiveBase {
  readonly kind: "secret";
}

export interface LiveService extends LiveBase {
  readonly kind: "service";
  readonly version: number;
  readonly shape: ServiceShape;
  /** Swarm's rolling-update state (`updating`, `completed`, `rollback_completed`, …), if any. */
  readonly updateState: string | null;
  readonly updateMessage: string | null;
  /** Of the service's own task template: what its tasks must carry to be current (live/fingerprint.ts). */
  readonly template: TemplateFingerprint;
}

export interface LiveTask {
  readonly id: string;
  readonly serviceId: string;
  readonly slot: number | null;
  readonly state: string;
  readonly desiredState: string;
  readonly message: string;
  readonly error: string | null;
  readonly image: string;
  /** Of the task's template without placement constraints (live/fingerprint.ts). */
  readonly fingerprint: string;
  /** The placement constraints the task was made with, sorted. */
  readonly constraints: readonly string[];
  /** Where Swarm placed it; null while unassigned (pending). */
  readonly nodeId: string | null;
  readonly exitCode: number | null;
  readonly containerId: string | null;
  readonly timestamp: string;
  /** Addresses per network name (CIDR suffix stripped). */
  readonly addresses: Readonly<Record<string, string>>;
}

/**
 * A one-off job service (role=job: exec, cron, backup, restore, import) and its tasks. Never
 * part of the desired state; read only so a reconcile can remove the ones left behind.
 */
export interface LiveJob {
  readonly id: string;
  readonly name: string;
  readonly site: string | null;
  readonly labels: Labels;
  readonly tasks: readonly { readonly state: string; readonly timestamp: string }[];
}

export type LiveObject = LiveNetwork | LiveVolume | LiveSecret | LiveService;

export interface LiveState {
  readonly networks: readonly LiveNetwork[];
  readonly volumes: readonly LiveVolume[];
  readonly secrets: readonly LiveSecret[];
  readonly services: readonly LiveService[];
  readonly tasks: readonly LiveTask[];
  /** Job services of this instance, apart: nothing else in a plan sees them (see LiveJob). */
  readonly jobs: readonly LiveJob[];
  /**
   * "plan" when only the tasks a plan reads were listed (live/read.ts TaskScope: the jobs' and
   * those of sites whose pin is not recorded): no per-service task count can be made from it.
   */
  readonly taskScope?: TaskScope;
  /** The swarm's nodes (where sites' data is pinned, and whether they can run tasks); absent in states built by hand. */
  readonly nodes?: readonly LiveNode[];
  /** The node ID of the engine this state was read through. */
  readonly here?: string | null;
}

/** Which tasks a live read lists: every task of the instance's services, or only those a plan reads. */
export type TaskScope = "all" | "plan";

export const EMPTY_LIVE: LiveState = { networks: [], volumes: [], secrets: [], services: [], tasks: [], jobs: [] };

/** What placement constraints are matched against (swarmkit's constraint keys). */
export interface LiveNode {
  readonly id: string;
  readonly hostname: string;
  readonly role: string;
  readonly ip: string;
  readonly os: string;
  readonly arch: string;
  readonly labels: Labels;
  readonly engineLabels: Labels;
  /** `active`, `pause` or `drain`: only an active node takes new tasks. */
  readonly availability: string;
  /** `ready`, `down`, `disconnected`, `unknown`. */
  readonly state: string;
}
