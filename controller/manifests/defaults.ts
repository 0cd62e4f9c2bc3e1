import clusterSchema from "../../schemas/cluster.schema.json";
import siteSchema from "../../schemas/site.schema.json";
import type { ResolveDigests } from "./types";

/**
 * Schema defaults, read from the schemas themselves so they have one source of truth.
 * Read at module load: a default removed from a schema fails at start (and in the unit
 * tests), not in the middle of a reconcile.
 */
function at(schema: unknown, path: readonly string[]): unknown {
  let node: unknown = schema;
  for (const seg of path) {
    node = typeof node === "object" && node !== null ? (node as Record<string, unknown>)[seg] : undefined;
  }
  return typeof node === "object" && node !== null ? (node as Record<string, unknown>).default : undefined;
}

function num(schema: unknown, ...path: string[]): number {
  const v = at(schema, path);
  if (typeof v !== "number") throw new Error(`schema default missing at ${path.join("/")}`);
  return v;
}

function str(schema: unknown, ...path: string[]): string {
  const v = at(schema, path);
  if (typeof v !== "string") throw new Error(`schema default missing at ${path.join("/")}`);
  return v;
}

function bool(schema: unknown, ...path: string[]): boolean {
  const v = at(schema, path);
  if (typeof v !== "boolean") throw new Error(`schema default missing at ${path.join("/")}`);
  return v;
}

const specProps = ["properties", "spec", "properties"] as const;

export const SITE_DEFAULTS = {
  suspend: bool(siteSchema, ...specProps, "suspend"),
  deletionPolicy: str(siteSchema, ...specProps, "deletionPolicy") as "Retain" | "Delete",
  web: {
    replicas: num(siteSchema, "$defs", "web", "properties", "replicas"),
    port: num(siteSchema, "$defs", "web", "properties", "port"),
  },
  healthcheck: {
    path: str(siteSchema, "$defs", "healthcheck", "properties", "path"),
    interval: num(siteSchema, "$defs", "healthcheck", "properties", "interval"),
    timeout: num(siteSchema, "$defs", "healthcheck", "properties", "timeout"),
  },
  database: {
    name: str(siteSchema, "$defs", "database", "properties", "name"),
    user: str(siteSchema, "$defs", "database", "properties", "user"),
  },
  volumeReadOnly: bool(siteSchema, "$defs", "volume", "properties", "readOnly"),
  secret: {
    length: num(siteSchema, "$defs", "secret", "properties", "generate", "properties", "length"),
    rotation: num(siteSchema, "$defs", "secret", "properties", "generate", "properties", "rotation"),
  },
  cron: {
    timeout: num(siteSchema, "$defs", "cron", "properties", "timeout"),
    allowOverlap: bool(siteSchema, "$defs", "cron", "properties", "allowOverlap"),
  },
  uptime: {
    enabled: bool(siteSchema, ...specProps, "uptime", "properties", "enabled"),
    interval: num(siteSchema, ...specProps, "uptime", "properties", "interval"),
    timeout: num(siteSchema, ...specProps, "uptime", "properties", "timeout"),
    failures: num(siteSchema, ...specProps, "uptime", "properties", "failures"),
    path: str(siteSchema, ...specProps, "uptime", "properties", "path"),
  },
  backupKeep: num(siteSchema, "$defs", "backup", "properties", "keep"),
  mail: {
    port: num(siteSchema, "$defs", "mail", "properties", "port"),
    returnPathPort: num(siteSchema, "$defs", "mail", "properties", "returnPath", "properties", "port"),
  },
} as const;

export const CLUSTER_DEFAULTS = {
  instance: str(clusterSchema, ...specProps, "instance"),
  endpointMode: str(clusterSchema, ...specProps, "endpointMode") as "vip" | "dnsrr",
  timeZone: str(clusterSchema, ...specProps, "timeZone"),
  volumeDriver: str(clusterSchema, ...specProps, "volumes", "properties", "driver"),
  resolveDigests: str(clusterSchema, ...specProps, "images", "properties", "resolveDigests") as ResolveDigests,
  update: {
    monitorSeconds: num(clusterSchema, ...specProps, "update", "properties", "monitorSeconds"),
    timeoutSeconds: num(clusterSchema, ...specProps, "update", "properties", "timeoutSeconds"),
  },
  backup: {
    repository: str(clusterSchema, ...specProps, "backup", "properties", "repository"),
    checkSchedule: str(clusterSchema, ...specProps, "backup", "properties", "check", "properties", "schedule"),
  },
  previews: {
    max: num(clusterSchema, ...specProps, "previews", "properties", "max"),
    ttlHours: num(clusterSchema, ...specProps, "previews", "properties", "ttlHours"),
  },
  environments: {
    max: num(clusterSchema, ...specProps, "environments", "properties", "max"),
    maxPerSite: num(clusterSchema, ...specProps, "environments", "properties", "maxPerSite"),
  },
  varnish: {
    port: num(clusterSchema, ...specProps, "varnish", "properties", "port"),
    replicas: num(clusterSchema, ...specProps, "varnish", "properties", "replicas"),
    mode: str(clusterSchema, ...specProps, "varnish", "properties", "mode") as "replicated" | "global",
    cacheSize: str(clusterSchema, ...specProps, "varnish", "properties", "cacheSize"),
    optimiseVcl: bool(clusterSchema, ...specProps, "varnish", "properties", "optimiseVcl"),
  },
} as const;
