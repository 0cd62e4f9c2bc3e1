import type { SwarmNode } from "../desired/placement";
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
  /** The node the task is (or was to be) on; absent before the scheduler assigned one. */
  readonly node?: string;
}

export type LiveObject = LiveNetwork | LiveVolume | LiveSecret | LiveService;

export interface LiveState {
  readonly networks: readonly LiveNetwork[];
  readonly volumes: readonly LiveVolume[];
  readonly secrets: readonly LiveSecret[];
  readonly services: readonly LiveService[];
  readonly tasks: readonly LiveTask[];
  /** The swarm's nodes (where sites are pinned, and whether they can run tasks); absent in tests that build a state by hand. */
  readonly nodes?: readonly SwarmNode[];
  /** The node ID of the engine this state was read through. */
  readonly here?: string | null;
}

export const EMPTY_LIVE: LiveState = { networks: [], volumes: [], secrets: [], services: [], tasks: [] };
