import { LABEL } from "../desired/labels";
import { withSpecHash } from "../desired/service-hash";
import type { DesiredState, Kind, ResourceSpec, ServiceSpec } from "../desired/types";
import { livePins } from "../live/pins";
import type { LiveObject, LiveSecret, LiveService, LiveState } from "../live/types";
import type { ManifestError } from "../manifests/types";
import { diffService } from "./diff";
import { activeHold } from "./maintenance";
import { isMoveRecord, movedAwayRetains } from "./moved";
import { sameService } from "./same";
import { staleJobs } from "./stale-jobs";
import { inSyncOrder, syncSlot } from "./sync";
import type { Action, Change, DeleteAction, HookAction, Plan, RetainAction, SitePlan, Unplaced } from "./types";

/**
 * Desired versus live → the actions that converge them, each with its phase and wave, in the
 * order apply runs them (plan/sync.ts). Pure.
 */
export function makePlan(desired: DesiredState, live: LiveState, errors: readonly ManifestError[] = [], now: number = Date.now()): Plan {
  // Indexed by kind, then name: names are unique per kind, and plain name keys avoid
  // building a composite string per object (measurable at 10,000 sites).
  const liveObjects = allLive(live);
  const liveIndex = indexByKind(liveObjects);
  // The live objects the desired state claims (by position in liveObjects); the others are
  // removals. A byte per object: a Set of 70,000 objects gave each an identity hash first.
  const claimed = new Uint8Array(liveObjects.length);
  const frozen = new Set(desired.frozenSites);
  const declared = new Set(desired.sites);

  const forward: Unplaced[] = [];
  const warnings: Plan["warnings"][number][] = [];
  for (const spec of desired.resources) {
    const at = liveIndex[spec.kind].get(spec.name);
    if (at === undefined) {
      // Made by its node's engine when the first task mounting it starts (desired/placement.ts).
      if (spec.kind === "volume" && spec.onNode !== undefined) continue;
      const sent = spec.kind === "service" ? withSpecHash(spec) : spec;
      forward.push({ op: "create", kind: spec.kind, site: spec.site, name: spec.name, spec: sent, changes: createSummary(spec) });
      continue;
    }
    const found = liveObjects[at] as LiveObject;
    claimed[at] = 1;
    if (spec.kind === "service" && found.kind === "service") {
      if (sameService(spec, found)) {
        forward.push(...pendingHook(spec, found));
        continue;
      }
      const hold = activeHold(found.labels, now);
      if (hold) {
        forward.push({ op: "hold", kind: "service", site: spec.site, name: spec.name, spec, id: found.id, what: hold.what, until: hold.until.toISOString(), changes: diffService(spec, found) });
        warnings.push({ site: spec.site, name: spec.name, message: `${hold.what} in progress until ${hold.until.toISOString()}: not reconciled until it ends` });
        continue;
      }
      const changes = diffService(spec, found);
      if (changes.length === 0) forward.push(...pendingHook(spec, found));
      if (changes.length > 0) {
        // Only now hashed: see desired/service-hash.ts.
        const sent = withSpecHash(spec);
        const hash = sent.labels[LABEL.specHash];
        const drift = found.labels[LABEL.specHash] === hash;
        const held = found.labels[LABEL.failedSpec] !== undefined && found.labels[LABEL.failedSpec] === hash;
        const heldReason = held ? found.labels[LABEL.failedReason] : undefined;
        forward.push({
          op: "update",
          kind: "service",
          site: spec.site,
          name: spec.name,
          spec: sent,
          id: found.id,
          version: found.version,
          changes,
          drift,
          held,
          deploy: !drift && spec.role === "web" && changes.some((c) => isRuntimeField(c.field)),
          owesPostDeploy: found.labels[LABEL.pendingHook] === "postDeploy",
          ...(heldReason ? { heldReason } : {}),
        });
      }
    } else if ((spec.kind === "volume" && found.kind === "volume") || (spec.kind === "network" && found.kind === "network")) {
      const before = found.driver;
      if (before !== spec.driver) {
        warnings.push({
          site: spec.site,
          name: spec.name,
          message: `driver is "${before}" but the manifests say "${spec.driver}"; ${spec.kind}s cannot be changed in place, recreate it by hand`,
        });
      }
    }
  }

  const policyOf = deletionPolicies(live.services, now);
  const declaredSecrets = new Set<string>();
  for (const r of desired.resources) if (r.kind === "secret") declaredSecrets.add(secretKey(r.site, r.logicalName));
  const backward: Unplaced<DeleteAction | RetainAction>[] = [];
  let pins: ReadonlyMap<string, string> | undefined;
  for (let i = 0; i < liveObjects.length; i++) {
    const o = liveObjects[i] as LiveObject;
    if (claimed[i] === 1) continue;
    if (o.site !== null && frozen.has(o.site)) continue;
    if (isMoveRecord(o)) {
      backward.push(...movedAwayRetains(o as LiveSecret, pins ??= livePins(live).pinned, live.nodes ?? []));
      continue;
    }
    backward.push(removal(o, o.site === null || declared.has(o.site), declaredSecrets, policyOf));
  }
  // Job services left behind by a runner that died; they pin secrets, networks and volumes.
  backward.push(...staleJobs(live.jobs, now));

  const actions = inSyncOrder([...forward, ...backward].map(place));
  return { instance: desired.instance, actions, sites: sitePlans(desired, liveObjects, actions), warnings, errors };
}

function removal(
  o: LiveObject,
  siteDeclared: boolean,
  declaredSecrets: ReadonlySet<string>,
  policyOf: ReadonlyMap<string, string>,
): Unplaced<DeleteAction | RetainAction> {
  const base = { kind: o.kind, site: o.site, name: o.name, id: o.id, changes: [] as Change[] };
  const isData = o.kind === "volume" || o.kind === "secret";
  if (!isData) return { ...base, op: "delete", reason: siteDeclared ? "no-longer-declared" : "site-removed" };
  if (siteDeclared) {
    // A newer version of the same secret replaces this one: the old value is no longer data.
    const logical = o.labels[LABEL.secret];
    const superseded = o.kind === "secret" && ((logical !== undefined && declaredSecrets.has(secretKey(o.site, logical))) || o.labels[LABEL.derived] === "true");
    return superseded ? { ...base, op: "delete", reason: "superseded" } : { ...base, op: "retain", reason: "no-longer-declared" };
  }
  // The site is gone. Its data goes only if the site said so, explicitly, in the manifest it
  // was last applied with: the policy its services carry, read in the pass that removes them.
  // Never the data object's own label (the policy of the day it was created, which a later
  // manifest may have reversed), and never in a later pass: once the services are gone, what
  // is left stays.
  const policy = o.site !== null ? policyOf.get(o.site) : undefined;
  return policy === "Delete" ? { ...base, op: "delete", reason: "deletion-policy" } : { ...base, op: "retain", reason: "site-removed" };
}

/**
 * The policy each site was last applied with, from its services (whose labels follow the
 * manifest). A service whose last update was held (rolled back, a failed preDeploy) or is under
 * a maintenance hold may not carry the policy of the last commit (which may have said Retain
 * in that very update): in doubt, its data is kept.
 */
function deletionPolicies(services: readonly LiveService[], now: number): Map<string, string> {
  const out = new Map<string, string>();
  for (const s of services) {
    const p = s.labels[LABEL.deletionPolicy];
    if (s.site === null || !p) continue;
    const uncertain = s.labels[LABEL.failedSpec] !== undefined || activeHold(s.labels, now) !== undefined;
    if (uncertain || out.get(s.site) === "Retain") out.set(s.site, "Retain");
    else out.set(s.site, p);
  }
  return out;
}

/** What a deploy changes in what the site runs (plan/diff.ts field names). */
function isRuntimeField(field: string): boolean {
  return field === "image" || field === "command" || field.startsWith("env.") || field.startsWith("secrets[") || field.startsWith("mounts[");
}

/** The postDeploy hook of an applied update that never ran (LABEL.pendingHook), as an action. */
function pendingHook(spec: ServiceSpec, found: LiveService): Unplaced<HookAction>[] {
  if (spec.site === null || found.labels[LABEL.pendingHook] !== "postDeploy") return [];
  return [{ op: "hook", kind: "service", site: spec.site, name: spec.name, hook: "postDeploy", spec, id: found.id, changes: [{ field: "postDeploy", op: "~", before: "pending", after: "run" }] }];
}

function sitePlans(desired: DesiredState, live: readonly LiveObject[], actions: readonly Action[]): SitePlan[] {
  const suspended = new Set(desired.suspendedSites);
  const frozen = new Set(desired.frozenSites);
  const all = new Set<string>([...desired.sites, ...desired.frozenSites]);
  for (const o of live) if (o.site !== null) all.add(o.site);
  const out: SitePlan[] = [];
  // Indexed once: a linear search per site made planning quadratic in the number of sites.
  const declared = new Set(desired.sites);
  const opsBySite = new Map<string, Set<Action["op"]>>();
  for (const a of actions) {
    if (a.site === null) continue;
    const ops = opsBySite.get(a.site) ?? new Set<Action["op"]>();
    ops.add(a.op);
    opsBySite.set(a.site, ops);
  }
  for (const site of [...all].sort()) {
    const ops = opsBySite.get(site) ?? new Set<Action["op"]>();
    let state: SitePlan["state"];
    if (suspended.has(site)) state = "suspended";
    else if (frozen.has(site)) state = "invalid";
    else if (declared.has(site)) state = ops.has("create") || ops.has("update") || ops.has("delete") || ops.has("hook") ? "changed" : "unchanged";
    else state = ops.has("delete") ? "removed" : "retained";
    out.push({ site, state });
  }
  return out;
}

function createSummary(spec: ResourceSpec): Change[] {
  switch (spec.kind) {
    case "service": {
      // The node a new site's data is pinned to is chosen now: the plan says which.
      const node = spec.labels[LABEL.node];
      const pinned = node !== undefined && spec.shape.constraints.includes(`node.id==${node}`);
      return [
        { field: "image", op: "+", after: spec.shape.image },
        spec.shape.global ? { field: "mode", op: "+", after: "global" } : { field: "replicas", op: "+", after: String(spec.shape.replicas) },
        ...(pinned ? [{ field: "node", op: "+" as const, after: node }] : []),
      ];
    }
    case "volume":
      return [{ field: "driver", op: "+", after: spec.driver }];
    case "network":
      return [{ field: "driver", op: "+", after: spec.driver }];
    case "secret":
      // The value is generated at apply time and never shown.
      if ("provided" in spec.source) return [{ field: "value", op: "+", after: "(from the controller's state directory)" }];
      if ("sealed" in spec.source) return [{ field: "value", op: "+", after: "(sealed in the manifest)" }];
      if ("sshHostKey" in spec.source) return [{ field: "value", op: "+", after: "(generated SSH host key)" }];
      return [{ field: "value", op: "+", after: `(generated, ${spec.source.generate.length} characters)` }];
  }
}

/** Kind → name → position in `objects`. */
function indexByKind(objects: readonly { readonly kind: Kind; readonly name: string }[]): Record<Kind, Map<string, number>> {
  const index: Record<Kind, Map<string, number>> = { network: new Map(), secret: new Map(), volume: new Map(), service: new Map() };
  objects.forEach((o, i) => index[o.kind].set(o.name, i));
  return index;
}

function allLive(live: LiveState): LiveObject[] {
  return [...live.networks, ...live.secrets, ...live.volumes, ...live.services];
}

const secretKey = (site: string | null, logical: string): string => `${site ?? ""}/${logical}`;

/** An action with its place in the deploy (plan/sync.ts). */
function place<T extends Unplaced>(a: T): T & { phase: Action["phase"]; wave: number } {
  const role = a.op === "create" || a.op === "update" || a.op === "hook" || a.op === "hold" ? (a.spec.kind === "service" ? a.spec.role : undefined) : undefined;
  return { ...a, ...syncSlot({ op: a.op, kind: a.kind, ...(role ? { role } : {}) }) };
}

