import { SITE_DEFAULTS } from "./defaults";
import { Issue, PathSegment, quote } from "./issue";
import { MAIL_SECRETS } from "./mail";
import { definedValues, resources } from "./resolve";
import { imageIssue } from "./site-rules";
import { MAX_SECRET_NAME, MAX_VOLUME_NAME, secretNameLength, volumeName } from "./swarm-names";
import type { ResolvedHook, ResolvedSite, Site } from "./types";

/**
 * Environments of a site (`spec.environments`): each becomes a site of its own, named
 * `<site>--<env>`, so render, plan, apply, routing and backups treat it as any other site:
 * its own network, database, volumes and generated secrets, never production's objects.
 * Pure.
 */

/** Between a site's name and its environment's in every object name: `acme--staging_web`. */
export const ENVIRONMENT_SEPARATOR = "--";
/** The name `simulium sync` gives the site itself; no environment may take it. */
export const PRODUCTION = "prod";
/** Site names are capped at 40 characters (schema); an environment's full name is held to the same. */
export const MAX_ENVIRONMENT_SITE_NAME = 40;
/** The environment variable an environment's web service gets instead of an SMTP relay (docs/manifest.md). */
export const MAIL_SINK_ENV = "SIMULIUM_MAIL_SINK";

export type EnvironmentInput = NonNullable<Site["spec"]["environments"]>[number];

export function environmentSiteName(site: string, env: string): string {
  return `${site}${ENVIRONMENT_SEPARATOR}${env}`;
}

/** `acme--staging` → the site and environment it names; undefined for a site name without the separator. */
export function splitEnvironmentName(name: string): { readonly site: string; readonly env: string } | undefined {
  const at = name.lastIndexOf(ENVIRONMENT_SEPARATOR);
  if (at <= 0) return undefined;
  return { site: name.slice(0, at), env: name.slice(at + ENVIRONMENT_SEPARATOR.length) };
}

/** One environment as derived: a site, or the problems that refuse it (they refuse only it). */
export type DerivedEnvironment =
  | { readonly ok: true; readonly index: number; readonly site: ResolvedSite }
  | { readonly ok: false; readonly index: number; readonly name: string; readonly issues: readonly Issue[] };

/**
 * The environments of a valid site. `parent` is the site resolved (production); `manifest` its
 * schema-valid manifest. Each environment's problems are its own: they never refuse the site.
 */
export function deriveEnvironments(manifest: Site, parent: ResolvedSite): DerivedEnvironment[] {
  const list = manifest.spec.environments ?? [];
  const seen = new Map<string, number>();
  return list.map((env, index) => {
    const name = environmentSiteName(parent.name, env.name);
    const at: PathSegment[] = ["spec", "environments", index];
    const issues: Issue[] = [];
    const first = seen.get(env.name);
    if (first !== undefined) issues.push({ path: [...at, "name"], message: `environment name ${quote(env.name)} is already used by spec.environments[${first}]` });
    else seen.set(env.name, index);
    if (env.name === PRODUCTION) issues.push({ path: [...at, "name"], message: `${quote(PRODUCTION)} names the site itself (simulium sync --from ${PRODUCTION}): choose another name` });
    issues.push(...imageIssue(env.web?.image, [...at, "web", "image"]));
    const from = env.seed?.from ?? PRODUCTION;
    if (env.seed && from === env.name) issues.push({ path: [...at, "seed", "from"], message: `an environment cannot be seeded from itself: ${quote(PRODUCTION)} or another environment of the site` });
    else if (env.seed && from !== PRODUCTION && !list.some((e) => e.name === from)) {
      issues.push({ path: [...at, "seed", "from"], message: `${quote(from)} is not an environment of this site (${[PRODUCTION, ...list.map((e) => e.name)].join(", ")})` });
    }
    const site = deriveEnvironmentSite(parent, env, index);
    issues.push(...nameLengths(site, [...at, "name"]));
    return issues.length > 0 ? { ok: false, index, name, issues } : { ok: true, index, site };
  });
}

/** One environment of `parent` as a site of its own; `preview` marks a pull request's. */
export function deriveEnvironmentSite(parent: ResolvedSite, env: EnvironmentInput, index: number, preview?: { readonly number: number; readonly headSha: string }): ResolvedSite {
  const crons = env.crons ?? false;
  const w = env.web ?? {};
  const {
    mail: _mail,
    access: _access,
    backup: _backup,
    civicrm,
    hooks,
    tls,
    ...rest
  } = parent;
  const ownHooks = hooks ? environmentHooks(hooks) : undefined;
  return {
    ...rest,
    name: environmentSiteName(parent.name, env.name),
    domains: [...env.domains],
    deletionPolicy: env.deletionPolicy ?? "Retain",
    web: {
      ...parent.web,
      image: w.image ?? parent.web.image,
      replicas: w.replicas ?? parent.web.replicas,
      // The sink is explicit, so an image that would fall back to local delivery can see it must not send.
      env: { ...parent.web.env, ...definedValues(w.env), [MAIL_SINK_ENV]: "1" },
      resources: w.resources ? resources(w.resources, undefined) : parent.web.resources,
    },
    secrets: ownSecrets(parent),
    cron: crons ? parent.cron : [],
    // Bounce processing reads a mailbox the environment does not have (no spec.mail).
    ...(civicrm ? { civicrm: { scheduledJobs: crons && civicrm.scheduledJobs, bounces: false } } : {}),
    ...(ownHooks ? { hooks: ownHooks } : {}),
    // ACME for its own domains like production; never production's own certificate (its sealed
    // key is production's, and it does not cover the environment's domains).
    ...(tls?.mode === "acme" ? { tls } : {}),
    environment: { of: parent.name, name: env.name, index, ...(preview ? { preview } : env.seed ? { seed: { from: env.seed.from ?? PRODUCTION, ...(env.seed.sanitise !== undefined ? { sanitise: env.seed.sanitise } : {}) } } : {}) },
  };
}

/**
 * Every secret the site has, generated afresh for the environment: a sealed value of the site
 * is production's (an API key, a payment credential) and is never copied; the mail passwords go
 * with spec.mail. The files are there (the image finds what it expects), with values of its own.
 */
function ownSecrets(parent: ResolvedSite): ResolvedSite["secrets"] {
  const mail: readonly string[] = Object.values(MAIL_SECRETS);
  const d = SITE_DEFAULTS.secret;
  return parent.secrets
    .filter((s) => !(parent.mail !== undefined && mail.includes(s.name)))
    .map((s) => ("sealed" in s ? { name: s.name, generate: { length: d.length, rotation: d.rotation } } : s));
}

/** Command hooks run in the environment too (`drush updb` after a new image); backup hooks need a schedule it does not have. */
function environmentHooks(hooks: NonNullable<ResolvedSite["hooks"]>): ResolvedSite["hooks"] {
  const commands = (list: readonly ResolvedHook[]) => list.filter((h) => !("backup" in h));
  const preDeploy = commands(hooks.preDeploy);
  const postDeploy = commands(hooks.postDeploy);
  return preDeploy.length + postDeploy.length > 0 ? { preDeploy, postDeploy } : undefined;
}

export function nameLengths(site: ResolvedSite, at: readonly PathSegment[]): Issue[] {
  if (site.name.length > MAX_ENVIRONMENT_SITE_NAME) {
    return [
      {
        path: at,
        message: `the environment's objects would be named ${quote(site.name)}, ${site.name.length} characters, over the limit of ${MAX_ENVIRONMENT_SITE_NAME} for site names: shorten the environment name`,
      },
    ];
  }
  const issues: Issue[] = [];
  for (const s of site.secrets) {
    const length = secretNameLength(site.name, s.name);
    if (length > MAX_SECRET_NAME) issues.push({ path: at, message: `the Swarm secret name "${site.name}_${s.name}-<hash>" would be ${length} characters, over the limit of ${MAX_SECRET_NAME}: shorten the environment name` });
  }
  for (const v of site.volumes) {
    const rendered = volumeName(site.name, v.name);
    if (rendered.length > MAX_VOLUME_NAME) issues.push({ path: at, message: `the Swarm volume name ${quote(rendered, 100)} would be ${rendered.length} characters, over the limit of ${MAX_VOLUME_NAME}: shorten the environment name` });
  }
  return issues;
}

/**
 * Live sites that are environments of a site whose manifest is invalid: frozen with it. Their
 * names are in the broken file, which says nothing now, and absent from the desired state they
 * would otherwise be removed. Pure.
 */
export function environmentsOfInvalid(invalidSites: readonly string[], validSites: readonly string[], liveSites: Iterable<string>): string[] {
  const invalid = new Set(invalidSites);
  const valid = new Set(validSites);
  const out = new Set<string>();
  for (const name of liveSites) {
    const split = splitEnvironmentName(name);
    if (split && invalid.has(split.site) && !valid.has(name) && !invalid.has(name)) out.add(name);
  }
  return [...out].sort();
}
