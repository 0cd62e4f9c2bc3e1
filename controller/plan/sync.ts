import type { Kind } from "../desired/types";

/**
 * The order of a deploy, as data on every action (in the manner of Argo CD's sync phases and
 * waves): apply runs the phases in turn, and within a phase the waves in turn, across all sites
 * (a site whose step failed skips its later steps). This file is the one place that says what
 * comes first; `simulium plan` shows it.
 *
 * - PreSync: the objects a hook job needs (it runs in the new web spec: its networks, secrets
 *   and volumes), then the sites' preDeploy hooks, before any service changes.
 * - Sync: databases, then web and the other services, then routing (Varnish); services that
 *   go away last.
 * - PostSync: postDeploy hooks (owed ones are `hook` actions), then what the removed services
 *   used, once their tasks are gone.
 */
export type SyncPhase = "PreSync" | "Sync" | "PostSync";

export const PHASES: readonly SyncPhase[] = ["PreSync", "Sync", "PostSync"];

export interface SyncSlot {
  readonly phase: SyncPhase;
  readonly wave: number;
}

/** What each wave holds, for people (plan output, docs). */
export const WAVES: Readonly<Record<SyncPhase, readonly string[]>> = {
  PreSync: ["networks and secrets", "volumes", "preDeploy hooks"],
  Sync: ["databases", "web and other services", "routing", "services removed"],
  PostSync: ["postDeploy hooks", "volumes removed or kept", "secrets removed or kept", "networks removed"],
};

/** What an action needs to be placed: its op, kind and, for a service, its role. */
export interface Placeable {
  readonly op: "create" | "update" | "delete" | "retain" | "hook" | "hold";
  readonly kind: Kind;
  readonly role?: string;
}

/**
 * Where an action runs (a held service: where its update would have run). Removals run in reverse of creation (a secret or network in use
 * cannot be removed before the services that use it), volumes before secrets: a database volume
 * that cannot be removed (still in use) keeps its password secret, so the site re-added later
 * finds the password its data was made with. A retained object is shown where its removal
 * would have been.
 */
export function syncSlot(a: Placeable): SyncSlot {
  if (a.op === "hook") return { phase: "PostSync", wave: 0 };
  if (a.op === "delete" || a.op === "retain") {
    switch (a.kind) {
      case "service":
        return { phase: "Sync", wave: 3 };
      case "volume":
        return { phase: "PostSync", wave: 1 };
      case "secret":
        return { phase: "PostSync", wave: 2 };
      case "network":
        return { phase: "PostSync", wave: 3 };
    }
  }
  switch (a.kind) {
    case "network":
    case "secret":
      return { phase: "PreSync", wave: 0 };
    case "volume":
      return { phase: "PreSync", wave: 1 };
    case "service":
      return { phase: "Sync", wave: a.role === "db" ? 0 : a.role === "varnish" ? 2 : 1 };
  }
}

/**
 * The slot of a deploy's hooks: not actions of their own (whether a site has hooks is the
 * jobs feature's business), apply runs them for each update that is a deploy.
 */
export const HOOK_SLOT: Readonly<Record<"preDeploy" | "postDeploy", SyncSlot>> = {
  preDeploy: { phase: "PreSync", wave: 2 },
  postDeploy: { phase: "PostSync", wave: 0 },
};

export function compareSlots(a: SyncSlot, b: SyncSlot): number {
  return PHASES.indexOf(a.phase) - PHASES.indexOf(b.phase) || a.wave - b.wave;
}

/** Actions in the order apply runs them: phase, wave, then site and name (stable, readable). */
export function inSyncOrder<T extends SyncSlot & { readonly site: string | null; readonly name: string }>(actions: readonly T[]): T[] {
  return [...actions].sort((a, b) => compareSlots(a, b) || (a.site ?? "").localeCompare(b.site ?? "") || a.name.localeCompare(b.name));
}

export function describeSlot(s: SyncSlot): string {
  return `${s.phase}, wave ${s.wave}: ${WAVES[s.phase][s.wave] ?? "?"}`;
}
