import { shortHash } from "../desired/hash";
import type { ApiTaskTemplate } from "../engine/api-types";

/**
 * What a task runs: the task template Swarm copied into it, minus its placement.
 * A service's own template (Spec.TaskTemplate) fingerprints the same way, so a task runs the
 * service's current spec when the two are equal. Both come from the engine, in its own form
 * (network IDs, its defaults), so nothing needs translating; and the whole template counts,
 * not just the container: a resources-, network- or health-check-only update replaces every
 * task, and the old ones must not pass for new.
 *
 * Placement constraints are kept apart because Swarm itself keeps a task whose node still
 * satisfies new constraints (swarmkit's IsTaskDirty): such a task is current although its
 * template says otherwise, which only the nodes can tell (see live/constraints.ts). The rest
 * of the placement (spread preferences) is left out for the same reason: swarmkit compares the
 * placement as a whole, so a task whose placement alone changed stays where it runs.
 */
export interface TemplateFingerprint {
  readonly fingerprint: string;
  /** Sorted placement constraints of the template. */
  readonly constraints: readonly string[];
}

export function templateFingerprint(t: ApiTaskTemplate | undefined): TemplateFingerprint {
  const template = t ?? {};
  const constraints = template.Placement?.Constraints;
  // Only what a task carries: the engine reports a service's derived `Runtime` but not a
  // task's, and drops empty objects on one side and not the other.
  const compared = {
    ContainerSpec: template.ContainerSpec,
    Resources: template.Resources,
    RestartPolicy: template.RestartPolicy,
    Networks: template.Networks,
    ForceUpdate: template.ForceUpdate ?? 0,
    LogDriver: template.LogDriver,
  };
  return { fingerprint: shortHash(prune(compared)), constraints: [...(constraints ?? [])].sort() };
}

/**
 * templateFingerprint, computed when first read. Every read of the swarm lists every service
 * and task, but only apply's convergence checks compare fingerprints: hashing all of them was
 * most of reading a 10,000-site swarm for `simulium plan`, which compares none. Holds the
 * engine's template until then (the live state lives for one pass). A class: getters on the
 * prototype cost nothing per object, where an object literal's own getters made each one
 * ten times slower to create than a plain object.
 */
export class LazyFingerprint implements TemplateFingerprint {
  #template: ApiTaskTemplate | undefined;
  #computed: TemplateFingerprint | undefined;

  constructor(template: ApiTaskTemplate | undefined) {
    this.#template = template;
  }

  get fingerprint(): string {
    return this.#get().fingerprint;
  }

  get constraints(): readonly string[] {
    return this.#get().constraints;
  }

  #get(): TemplateFingerprint {
    if (this.#computed === undefined) {
      this.#computed = templateFingerprint(this.#template);
      this.#template = undefined;
    }
    return this.#computed;
  }

  /** As a plain TemplateFingerprint (JSON, copies): the getters are not own properties. */
  toJSON(): TemplateFingerprint {
    return { fingerprint: this.fingerprint, constraints: this.constraints };
  }
}

/** Empty objects and arrays, and undefined, removed at every depth: absent and empty are alike. */
function prune(value: unknown): unknown {
  if (Array.isArray(value)) {
    const items = value.map(prune).filter((v) => v !== undefined);
    return items.length > 0 ? items : undefined;
  }
  if (value !== null && typeof value === "object") {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) {
      const p = prune(v);
      if (p !== undefined) out[k] = p;
    }
    return Object.keys(out).length > 0 ? out : undefined;
  }
  return value;
}
