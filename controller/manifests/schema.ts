import type { ErrorObject, ValidateFunction } from "ajv";
import { controllerOnlyField } from "./controller-only";
import { Issue, PathSegment, quote } from "./issue";
import { validateCluster as clusterValidator, validateSite as siteValidator } from "./schema-validators";
import type { Cluster, Site } from "./types";

// The validators are Ajv's, compiled from schemas/*.schema.json ahead of time
// (scripts/schema-validators.mjs, options `allErrors`, `strict`, `verbose`): compiling them
// at start cost every process ~0.25 s. `verbose` keeps the offending data and sub-schema on
// each error for the messages below.

export type SchemaResult<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly issues: readonly Issue[] };

export function checkSiteSchema(value: unknown): SchemaResult<Site> {
  return run(siteValidator, value);
}

export function checkClusterSchema(value: unknown): SchemaResult<Cluster> {
  return run(clusterValidator, value);
}

function run<T>(validate: ValidateFunction<T>, value: unknown): SchemaResult<T> {
  if (validate(value)) return { ok: true, value };
  const issues = (validate.errors ?? []).flatMap(toIssue);
  return { ok: false, issues: dedupe(issues) };
}

/** Fields whose value may be a credential typed in by mistake: never echoed back in an error. */
const SENSITIVE = /password|secret|sealed|token/i;

function toIssue(raw: ErrorObject): Issue[] {
  const path = pointerToPath(raw.instancePath);
  // A clear-text password pasted where a sealed one belongs is already a leak in git; the
  // error must not copy it into CI logs and PR comments too.
  const e = path.some((p) => typeof p === "string" && SENSITIVE.test(p)) ? { ...raw, data: HIDDEN } : raw;
  const params = e.params as Record<string, unknown>;
  const schema = (e.parentSchema ?? {}) as { description?: string; properties?: Record<string, unknown> };
  // A bad key under propertyNames arrives twice (the inner pattern error carries the name).
  if (e.keyword === "propertyNames") return [];
  if (e.propertyName !== undefined) {
    return [{ path: [...path, e.propertyName], at: "key", message: `${quote(e.propertyName)} is not allowed as a key here${hint(schema, e)}` }];
  }
  switch (e.keyword) {
    case "additionalProperties": {
      const key = String(params.additionalProperty);
      const controllerOnly = controllerOnlyField([...path, key]);
      if (controllerOnly) return [{ path: [...path, key], at: "key", message: `${quote(key)} ${controllerOnly}` }];
      const known = Object.keys(schema.properties ?? {});
      const expected = known.length > 0 ? ` (expected one of: ${known.join(", ")})` : "";
      return [{ path: [...path, key], at: "key", message: `unknown field ${quote(key)}${expected}` }];
    }
    case "required":
      return [{ path, message: `missing required field ${quote(String(params.missingProperty))}` }];
    case "type":
      return [{ path, message: `must be ${typeName(String(params.type))}, not ${actualType(e.data)}` }];
    case "const":
      return [{ path, message: `must be ${quote(params.allowedValue)}, not ${shown(e.data)}` }];
    case "enum":
      return [{ path, message: `must be one of ${(params.allowedValues as unknown[]).map((v) => quote(v)).join(", ")}, not ${shown(e.data)}` }];
    case "pattern":
    case "format":
      return [{ path, message: `${shown(e.data)} is not valid${hint(schema, e)}` }];
    case "uniqueItems": {
      const later = Math.max(Number(params.i), Number(params.j));
      const earlier = Math.min(Number(params.i), Number(params.j));
      const list = Array.isArray(e.data) ? (e.data as unknown[]) : [];
      return [{ path: [...path, later], message: `${quote(list[later])} is listed twice (also at [${earlier}])` }];
    }
    case "minItems":
      return [{ path, message: `must list at least ${String(params.limit)} item(s)` }];
    case "maxItems":
      return [{ path, message: `must list at most ${String(params.limit)} items` }];
    case "maxProperties":
      return [{ path, message: `must have at most ${String(params.limit)} entries` }];
    case "minLength":
      return [{ path, message: params.limit === 1 ? "must not be empty" : `must be at least ${String(params.limit)} characters long` }];
    case "maxLength":
      return [{ path, message: `must be at most ${String(params.limit)} characters long` }];
    case "minimum":
    case "maximum":
    case "exclusiveMinimum":
    case "exclusiveMaximum":
      return [{ path, message: `${shown(e.data)} is out of range: must be ${bound(e.keyword)} ${String(params.limit)}` }];
    default:
      return [{ path, message: e.message ?? `fails ${e.keyword}` }];
  }
}

/** The schema's own description says what a valid value looks like, in operator words. */
function hint(schema: { description?: string }, e: ErrorObject): string {
  if (schema.description) return `: expected ${lowerFirst(schema.description)}`;
  const pattern = (e.params as { pattern?: string }).pattern;
  return pattern ? `: must match ${pattern}` : "";
}

function lowerFirst(s: string): string {
  return /^[A-Z](?![A-Z])/.test(s) ? s.charAt(0).toLowerCase() + s.slice(1) : s;
}

function bound(keyword: string): string {
  return { minimum: "at least", maximum: "at most", exclusiveMinimum: "more than", exclusiveMaximum: "less than" }[keyword] ?? keyword;
}

function typeName(type: string): string {
  return { object: "a mapping", array: "a list", string: "a string", integer: "a whole number", number: "a number", boolean: "true or false", null: "empty" }[type] ?? type;
}

const HIDDEN = Symbol("hidden");

function shown(data: unknown): string {
  return data === HIDDEN ? "the value given (not shown: this field holds a secret)" : quote(data);
}

function actualType(data: unknown): string {
  if (data === HIDDEN) return "the value given (not shown: this field holds a secret)";
  if (data === null || data === undefined) return "empty";
  if (Array.isArray(data)) return "a list";
  if (typeof data === "object") return "a mapping";
  if (typeof data === "string") return `the string ${quote(data)}`;
  return `${typeof data} ${quote(data)}`;
}

function pointerToPath(pointer: string): PathSegment[] {
  if (pointer === "") return [];
  return pointer
    .slice(1)
    .split("/")
    .map((raw) => raw.replace(/~1/g, "/").replace(/~0/g, "~"))
    .map((seg) => (/^(0|[1-9][0-9]*)$/.test(seg) ? Number(seg) : seg));
}

function dedupe(issues: Issue[]): Issue[] {
  const seen = new Set<string>();
  return issues.filter((i) => {
    const key = `${JSON.stringify(i.path)}|${i.message}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}
