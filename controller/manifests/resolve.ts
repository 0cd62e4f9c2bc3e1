import { resolveAccess } from "./access";
import { CLUSTER_DEFAULTS, SITE_DEFAULTS } from "./defaults";
import { Issue } from "./issue";
import { resolveMail } from "./mail";
import { resolveCivicrm, resolveHooks } from "./site-jobs";
import { DATABASE_SECRETS } from "./swarm-names";
import { covers } from "./wildcard";
import type { Cluster, ClusterDefaults, ResolvedCluster, ResolvedClusterTls, ResolvedSecret, ResolvedSite, ResolvedSiteTls, Resources, RoutingOverrides, Site } from "./types";

/** `spec.defaults` of simulium.yaml: what a site inherits where it says nothing. */

type ResourcesInput = { readonly memory?: string; readonly cpus?: number } | undefined;

export type ResolveResult = { readonly ok: true; readonly site: ResolvedSite } | { readonly ok: false; readonly issues: readonly Issue[] };

/** simulium.yaml (or its absence) with every default applied. Pure. */
export function resolveCluster(cluster: Cluster | undefined): ResolvedCluster {
  const spec = cluster?.spec ?? {};
  const d = CLUSTER_DEFAULTS;
  const vcl = spec.varnish?.vcl ?? {};
  const varnish: ResolvedCluster["varnish"] = {
    ...(spec.varnish?.image !== undefined ? { image: spec.varnish.image } : {}),
    port: spec.varnish?.port ?? d.varnish.port,
    replicas: spec.varnish?.replicas ?? d.varnish.replicas,
    mode: spec.varnish?.mode ?? d.varnish.mode,
    constraints: [...(spec.varnish?.constraints ?? [])].sort(),
    cacheSize: spec.varnish?.cacheSize ?? d.varnish.cacheSize,
    optimiseVcl: spec.varnish?.optimiseVcl ?? d.varnish.optimiseVcl,
    vcl: {
      ...(vcl.recv !== undefined ? { recv: vcl.recv } : {}),
      ...(vcl.backendResponse !== undefined ? { backendResponse: vcl.backendResponse } : {}),
      ...(vcl.deliver !== undefined ? { deliver: vcl.deliver } : {}),
    },
  };
  return {
    instance: spec.instance ?? d.instance,
    endpointMode: spec.endpointMode ?? d.endpointMode,
    timeZone: spec.timeZone ?? d.timeZone,
    volumes: { driver: spec.volumes?.driver ?? d.volumeDriver, options: definedValues(spec.volumes?.options) },
    ...(spec.registryAuth ? { registryAuth: { configFile: spec.registryAuth.configFile } } : {}),
    images: { resolveDigests: spec.images?.resolveDigests ?? d.resolveDigests },
    ...(spec.sealing ? { sealing: { publicKey: spec.sealing.publicKey } } : {}),
    ...(spec.notifications ? { notifications: resolveNotifications(spec.notifications) } : {}),
    ...(spec.backup?.image !== undefined ? { backup: resolveBackupConfig(spec.backup, spec.backup.image) } : {}),
    ...(spec.tls !== undefined ? { tls: resolveClusterTls(spec.tls, varnish) } : {}),
    update: {
      monitorSeconds: spec.update?.monitorSeconds ?? d.update.monitorSeconds,
      timeoutSeconds: spec.update?.timeoutSeconds ?? d.update.timeoutSeconds,
    },
    ...(spec.previews
      ? {
          previews: {
            domain: spec.previews.domain,
            max: spec.previews.max ?? d.previews.max,
            ttlHours: spec.previews.ttlHours ?? d.previews.ttlHours,
            ...(spec.previews.resources ? { resources: resources(spec.previews.resources, undefined) } : {}),
            ...(spec.previews.replicas !== undefined ? { replicas: spec.previews.replicas } : {}),
            ...(spec.previews.branches && spec.previews.branches.length > 0 ? { branches: [...spec.previews.branches] } : {}),
          },
        }
      : {}),
    environments: {
      max: spec.environments?.max ?? d.environments.max,
      maxPerSite: spec.environments?.maxPerSite ?? d.environments.maxPerSite,
    },
    varnish,
  };
}

/**
 * A schema-valid site with every default applied: what the site says, else simulium.yaml's
 * `spec.defaults`, else the schema default. Pure. Fails only when a required value has no
 * source at all (an image).
 */
export function resolveSite(site: Site, file: string, defaults: ClusterDefaults = {}, acmeConfigured = false): ResolveResult {
  const s = site.spec;
  const d = SITE_DEFAULTS;
  const issues: Issue[] = [];

  const webImage = s.web.image ?? defaults.web?.image;
  if (webImage === undefined) {
    issues.push({ path: ["spec", "web", "image"], message: "no web image: set spec.web.image, or spec.defaults.web.image in simulium.yaml" });
  }
  const dbImage = s.database ? s.database.image ?? defaults.database?.image : undefined;
  if (s.database && dbImage === undefined) {
    issues.push({ path: ["spec", "database", "image"], message: "no database image: set spec.database.image, or spec.defaults.database.image in simulium.yaml" });
  }
  const access = resolveAccess(site, defaults);
  if (!access.ok) issues.push(...access.issues);
  if (webImage === undefined || (s.database && dbImage === undefined) || !access.ok) return { ok: false, issues };

  const hc = s.web.healthcheck ?? {};
  const backupSchedule = s.backup?.schedule ?? defaults.backup?.schedule;
  const routing = s.routing !== undefined ? routingOverrides(s.routing) : undefined;
  const mail = s.mail !== undefined ? resolveMail(s.mail) : undefined;
  const civicrm = resolveCivicrm(s);
  const hooks = resolveHooks(s);
  const tls = resolveSiteTls(s.tls, acmeConfigured);
  if (s.tls?.certificate !== undefined && s.tls.mode !== undefined && s.tls.mode !== "certificate") {
    issues.push({ path: ["spec", "tls", "certificate"], message: `is set but spec.tls.mode is ${s.tls.mode}: remove it, or set mode: certificate` });
  }
  for (const field of ["challenge", "wildcards"] as const) {
    if (s.tls?.[field] !== undefined && tls?.mode !== "acme") {
      issues.push({ path: ["spec", "tls", field], message: `applies to ACME certificates only, and this site's is ${tls?.mode ?? "none (plain http)"}: remove it` });
    }
  }
  for (const [i, w] of (s.tls?.wildcards ?? []).entries()) {
    // A wildcard of a zone the site has no domain in would be a certificate for someone else's names.
    if (!s.domains.some((d) => covers(w, d) || d === w.slice(2))) {
      issues.push({ path: ["spec", "tls", "wildcards", i], message: `${w} is for none of spec.domains: a wildcard must cover one of the site's domains, or be one label under one` });
    }
  }
  if (s.tls?.mode === "certificate" && s.tls.certificate === undefined) {
    issues.push({ path: ["spec", "tls", "mode"], message: "is certificate but spec.tls.certificate is missing: give {chain, key: {sealed}}" });
  }
  if (issues.length > 0) return { ok: false, issues };
  const resolved: ResolvedSite = {
    name: site.metadata.name,
    file,
    labels: definedValues(site.metadata.labels),
    suspend: s.suspend ?? d.suspend,
    deletionPolicy: s.deletionPolicy ?? d.deletionPolicy,
    domains: [...s.domains],
    web: {
      image: webImage,
      replicas: s.web.replicas ?? defaults.web?.replicas ?? d.web.replicas,
      port: s.web.port ?? defaults.web?.port ?? d.web.port,
      ...(s.web.command ? { command: [...s.web.command] } : {}),
      env: definedValues(s.web.env),
      resources: resources(s.web.resources, defaults.web?.resources),
      healthcheck: { path: hc.path ?? d.healthcheck.path, interval: hc.interval ?? d.healthcheck.interval, timeout: hc.timeout ?? d.healthcheck.timeout },
    },
    ...(s.database && dbImage !== undefined
      ? {
          database: {
            image: dbImage,
            name: s.database.name ?? d.database.name,
            user: s.database.user ?? d.database.user,
            env: definedValues(s.database.env),
            resources: resources(s.database.resources, defaults.database?.resources),
          },
        }
      : {}),
    volumes: (s.volumes ?? []).map((v) => ({ name: v.name, mountPath: v.mountPath, readOnly: v.readOnly ?? d.volumeReadOnly })),
    secrets: [...secrets(site), ...(mail?.secrets ?? [])],
    cron: (s.cron ?? []).map((c) => ({
      name: c.name,
      schedule: c.schedule,
      command: [...c.command],
      timeout: c.timeout ?? d.cron.timeout,
      allowOverlap: c.allowOverlap ?? d.cron.allowOverlap,
    })),
    ...(backupSchedule !== undefined
      ? {
          backup: {
            schedule: backupSchedule,
            keep: s.backup?.keep ?? defaults.backup?.keep ?? d.backupKeep,
            ...(s.backup?.keepDaily !== undefined ? { keepDaily: s.backup.keepDaily } : {}),
            ...(s.backup?.keepWeekly !== undefined ? { keepWeekly: s.backup.keepWeekly } : {}),
            ...(s.backup?.keepMonthly !== undefined ? { keepMonthly: s.backup.keepMonthly } : {}),
          },
        }
      : {}),
    placement: { constraints: [...(s.placement?.constraints ?? [])] },
    uptime: {
      enabled: s.uptime?.enabled ?? d.uptime.enabled,
      interval: s.uptime?.interval ?? d.uptime.interval,
      timeout: s.uptime?.timeout ?? d.uptime.timeout,
      failures: s.uptime?.failures ?? d.uptime.failures,
      path: s.uptime?.path ?? d.uptime.path,
    },
    ...(routing !== undefined ? { routing } : {}),
    ...(mail !== undefined ? { mail: mail.mail } : {}),
    ...(access.access !== undefined ? { access: access.access } : {}),
    ...(civicrm !== undefined ? { civicrm } : {}),
    ...(hooks !== undefined ? { hooks } : {}),
    ...(tls !== undefined ? { tls } : {}),
  };
  return { ok: true, site: resolved };
}

/** The site's own certificate when it gives one; else acme unless it says none, once the cluster names an ACME directory; plain http otherwise. */
function resolveSiteTls(t: Site["spec"]["tls"], acmeConfigured: boolean): ResolvedSiteTls | undefined {
  const mode = t?.mode ?? (t?.certificate !== undefined ? "certificate" : acmeConfigured ? "acme" : "none");
  if (mode === "none") return undefined;
  const hsts = t?.hsts;
  const base = {
    redirect: t?.redirect ?? true,
    ...(hsts !== undefined ? { hsts: { maxAge: hsts.maxAge ?? 31_536_000, includeSubDomains: hsts.includeSubDomains ?? false } } : {}),
  };
  if (mode === "acme") {
    return { mode, ...base, ...(t?.challenge !== undefined ? { challenge: t.challenge } : {}), ...(t?.wildcards !== undefined && t.wildcards.length > 0 ? { wildcards: [...t.wildcards].sort() } : {}) };
  }
  const c = t?.certificate;
  if (c === undefined) return undefined;
  return { mode, ...base, certificate: { chain: c.chain, key: { ciphertext: c.key.sealed, index: -1, path: ["spec", "tls", "certificate", "key", "sealed"], line: 0, column: 0 } } };
}

/**
 * Only the fields the site sets, so an unset field keeps following the renderer's default
 * and `routing: {}` is the same site as no `routing` at all.
 */
function routingOverrides(r: NonNullable<Site["spec"]["routing"]>): RoutingOverrides | undefined {
  const out: RoutingOverrides = {
    ...(r.cache !== undefined ? { cache: r.cache } : {}),
    ...(r.passPaths !== undefined && r.passPaths.length > 0 ? { passPaths: [...r.passPaths] } : {}),
    ...(r.ttl !== undefined ? { ttl: r.ttl } : {}),
    ...(r.staticTtl !== undefined ? { staticTtl: r.staticTtl } : {}),
    ...(r.grace !== undefined ? { grace: r.grace } : {}),
    ...(r.firstByteTimeout !== undefined ? { firstByteTimeout: r.firstByteTimeout } : {}),
  };
  return Object.keys(out).length > 0 ? out : undefined;
}

/** `512M` → bytes. Binary units, as `docker run --memory` reads them. */
export function parseMemory(text: string): number {
  const m = /^([1-9][0-9]*)([KMG])$/.exec(text);
  if (!m) throw new Error(`not a memory size: ${text}`);
  const power = { K: 1, M: 2, G: 3 }[m[2] as "K" | "M" | "G"];
  return Number(m[1]) * 1024 ** power;
}

export function cpusToNano(cpus: number): number {
  return Math.round(cpus * 1e9);
}

export function resources(own: ResourcesInput, fallback: ResourcesInput): Resources {
  const memory = own?.memory ?? fallback?.memory;
  const cpus = own?.cpus ?? fallback?.cpus;
  return {
    ...(memory !== undefined ? { memoryBytes: parseMemory(memory) } : {}),
    ...(cpus !== undefined ? { nanoCpus: cpusToNano(cpus) } : {}),
  };
}

/**
 * Declared secrets, then the database secrets a site with a database always gets (a
 * declaration of one of those only tunes it, e.g. its length).
 */
function secrets(site: Site): ResolvedSite["secrets"] {
  const d = SITE_DEFAULTS.secret;
  const declared = (site.spec.secrets ?? []).map((x, index): ResolvedSecret =>
    x.sealed !== undefined
      ? { name: x.name, sealed: { ciphertext: x.sealed, index, line: 0, column: 0 } }
      : { name: x.name, generate: { length: x.generate?.length ?? d.length, rotation: x.generate?.rotation ?? d.rotation } },
  );
  if (!site.spec.database) return declared;
  const automatic = DATABASE_SECRETS.filter((name) => !declared.some((x) => x.name === name)).map((name) => ({
    name,
    generate: { length: d.length, rotation: d.rotation },
  }));
  return [...declared, ...automatic];
}

export function definedValues(record: Readonly<Record<string, string | undefined>> | undefined): Record<string, string> {
  // fromEntries defines own properties: a key named __proto__ stays a plain key.
  return Object.fromEntries(Object.entries(record ?? {}).filter((e): e is [string, string] => e[1] !== undefined));
}

type BackupInput = NonNullable<NonNullable<Cluster["spec"]>["backup"]>;

function resolveBackupConfig(b: BackupInput, image: string): NonNullable<ResolvedCluster["backup"]> {
  const repository = b.repository ?? CLUSTER_DEFAULTS.backup.repository;
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(b.env ?? {})) if (v !== undefined) env[k] = v.sealed;
  return {
    image,
    repository: repository === "volume" ? { volume: true } : { url: repository.replace(/\/+$/, "") },
    password: b.password ? { sealed: b.password.sealed } : { generated: true },
    env,
    checkSchedule: b.check?.schedule ?? CLUSTER_DEFAULTS.backup.checkSchedule,
  };
}

type ClusterTlsInput = NonNullable<NonNullable<Cluster["spec"]>["tls"]>;

/** The terminators run where Varnish runs: on its nodes, as many as it has unless replicas are given. */
function resolveClusterTls(t: ClusterTlsInput, varnish: ResolvedCluster["varnish"]): ResolvedClusterTls {
  const a = t.acme;
  return {
    image: t.image,
    port: t.port ?? 443,
    publicPort: t.publicPort ?? t.port ?? 443,
    replicas: t.replicas ?? varnish.replicas,
    global: t.replicas === undefined && varnish.mode === "global",
    constraints: varnish.constraints,
    ...(a !== undefined
      ? { acme: { directory: a.directory, email: a.email, ...(a.caFile !== undefined ? { caFile: a.caFile } : {}), renewBeforeFraction: a.renewBeforeFraction ?? 1 / 3, checkDns: a.checkDns ?? true, expectAddresses: [...(a.expectAddresses ?? [])] } }
      : {}),
  };
}

type NotificationsInput = NonNullable<NonNullable<Cluster["spec"]>["notifications"]>;

function resolveNotifications(n: NotificationsInput): NonNullable<ResolvedCluster["notifications"]> {
  return { webhooks: (n.webhooks ?? []).map((w) => ({ url: w.url })), suppressSeconds: n.suppressSeconds ?? 3600 };
}
