import type { Labels, ServiceShape } from "../desired/types";

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
  /** See live/fingerprint.ts: tells whether the task runs the current spec. */
  readonly fingerprint: string;
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
}

export const EMPTY_LIVE: LiveState = { networks: [], volumes: [], secrets: [], services: [], tasks: [], jobs: [] };
