import type Docker from "dockerode";
import { readFile } from "node:fs/promises";
import path from "node:path";
import { LABEL } from "../desired/labels";
import { imagesToResolve, pinImageDigests, UnresolvedImage, unresolvedMessage } from "../desired/image-digests";
import { renderDesired } from "../desired/render";
import { resolveImageDigests } from "../engine/distribution";
import { loadRegistryAuth } from "../engine/registry-auth";
import type { DesiredState } from "../desired/types";
import { livePins } from "../live/pins";
import { readLive } from "../live/read";
import { environmentsOfInvalid } from "../manifests/environments";
import { loadBesideLive } from "./load-beside-live";
import { livePreviewNames, PREVIEWS_FILE, PreviewStateError, readPreviewState, withPreviewSites } from "./previews-state";
import type { LiveState, TaskScope } from "../live/types";
import { CLUSTER_FILE } from "../manifests/layout";
import { loadFiles, loadRepo } from "../manifests/load";
import type { RepoRead } from "../manifests/read";
import { effectiveCluster } from "../manifests/select";

export { ClusterConfigError, effectiveCluster } from "../manifests/select";
import type { LoadResult, ManifestError, ResolvedCluster } from "../manifests/types";
import { placeSites } from "../plan/placement";
import { makePlan } from "../plan/plan";
import { freezeSites, UnsafeRotation, unsafeRotations } from "../plan/rotation-guard";
import type { Plan } from "../plan/types";
import { keyFileDecrypter, resolveSealingKeyFile } from "../sealing/key-file";
import { sealedLookup } from "../sealing/lookup";
import { clusterSealedValues, unsealCluster } from "../sealing/unseal-cluster";
import { unsealSites } from "../sealing/unseal-sites";
import { ControllerSecret, controllerSecret, renderHash } from "../state/controller-secret";
import { resolveStateDir, StateMode, StateStore } from "../state/store";
import { Feature, siteParts } from "./feature";

export interface PlanContext {
  readonly load: LoadResult;
  readonly cluster: ResolvedCluster;
  readonly desired: DesiredState;
  readonly live: LiveState;
  readonly plan: Plan;
  /** The controller's state directory for this instance, opened as the command may use it. */
  readonly store: StateStore;
  /** Plain values of the sealed secrets and the controller's secrets, by Swarm secret name: for apply only, never printed. */
  readonly secretValue: (secretName: string) => Buffer | undefined;
  /** The Varnish admin secret's value, when Varnish is configured and it exists. */
  readonly varnishSecret: Buffer | undefined;
}

export interface PipelineOptions {
  readonly instance?: string;
  readonly stateDir?: string;
  readonly sealingKeyFile?: string;
  /**
   * read-only (plan, status): nothing is written, a controller secret not made yet is shown as
   * new. read-write (apply, the daemon): one not made yet (and not on the swarm) is generated.
   */
  readonly mode?: StateMode;
  /** Accept a Varnish admin secret in the state directory that differs from the swarm's (a rotation on purpose). */
  readonly rotateVarnishSecret?: boolean;
  /**
   * Which tasks the live read lists: "plan" (the default) only those the plan reads; "all"
   * when the caller reads the context's live state for more than the plan (status counts tasks).
   */
  readonly liveTasks?: TaskScope;
}

/** The manifests, read and unsealed, with the cluster in force: what a plan is made from. */
export interface LoadedRepo {
  readonly load: LoadResult;
  readonly cluster: ResolvedCluster;
  readonly values: ReadonlyMap<string, Buffer>;
  /** simulium.yaml's sealed values (bound to the cluster scope), by setting name. */
  readonly clusterValues: ReadonlyMap<string, Buffer>;
}

/**
 * The manifests' files another way than from the working tree `repoDir`: the daemon reads its
 * run's commit from git's objects (reconcile/commit-read.ts), since runs side by side share a clone
 * that another run's fetch checks out meanwhile.
 */
export type ReadManifests = () => Promise<RepoRead>;

export async function loadForPlan(repoDir: string, opts: Pick<PipelineOptions, "instance" | "sealingKeyFile"> & { readonly read?: ReadManifests }): Promise<LoadedRepo> {
  // A sealed value that does not decrypt makes its site invalid here, like a broken manifest.
  const decrypt = keyFileDecrypter(resolveSealingKeyFile(opts.sealingKeyFile));
  const read = opts.read ? await opts.read() : undefined;
  const { load, values } = await unsealSites(read ? loadFiles(read.files, read.errors) : await loadRepo(repoDir), decrypt);
  const cluster = effectiveCluster(load, opts.instance);
  // A sealed value of simulium.yaml not bound to the cluster stops everything, like any error there.
  const clusterValues = await unsealCluster(cluster, decrypt, await readClusterText(repoDir, cluster, read));
  return { load, cluster, values, clusterValues };
}

/** simulium.yaml's text, to locate a refused sealed value; read only when it has some. */
async function readClusterText(repoDir: string, cluster: ResolvedCluster, read: RepoRead | undefined): Promise<string | undefined> {
  if (clusterSealedValues(cluster).length === 0) return undefined;
  if (read) return read.files.find((f) => f.path === CLUSTER_FILE)?.text;
  return readFile(path.join(repoDir, CLUSTER_FILE), "utf8").catch(() => undefined);
}

/**
 * manifests → desired, live → plan: the one path every command and the daemon take, so
 * `plan` shows exactly what `apply` and the daemon would do. `features` add their objects and
 * warnings (reconcile/feature.ts); controller/features.ts has the list the CLI and daemon use.
 */
export async function planRepoWith(docker: Docker, repoDir: string, features: readonly Feature[], opts: PipelineOptions = {}): Promise<PlanContext> {
  const { loaded, live } = await loadBesideLive(repoDir, {
    instance: opts.instance,
    load: (read) => loadForPlan(repoDir, { ...opts, read }),
    readLive: (instance) => readLive(docker, instance, opts.liveTasks ?? "plan"),
  });
  return planLoaded(docker, loaded, features, opts, live);
}

/** `read`: the swarm already read for this instance (loadBesideLive); read here otherwise. */
export async function planLoaded(docker: Docker, given: LoadedRepo, features: readonly Feature[], opts: PipelineOptions, read?: LiveState): Promise<PlanContext> {
  const { cluster, values } = given;
  const live = read ?? (await readLive(docker, cluster.instance, opts.liveTasks ?? "plan"));
  const store = new StateStore(resolveStateDir(opts.stateDir), cluster.instance, opts.mode ?? "read-only");
  const loaded = withPreviews(withEnvironmentsOfInvalid(given, live), store, live);
  // Read against the swarm: a state directory that lost a value the swarm uses stops here.
  const varnish = cluster.varnish.image ? controllerSecret(store, "varnish-secret", live.secrets, { acceptChange: opts.rotateVarnishSecret }) : undefined;
  const contributed = features.flatMap((f) => (f.desired ? [f.desired({ cluster, live, store, clusterValues: loaded.clusterValues, load: loaded.load, siteValues: values })] : []));
  // Sites keep the node their data is on; a site without data services yet gets one now.
  const placement = placeSites({ sites: loaded.load.sites, cluster, nodes: live.nodes ?? [], here: live.here ?? null, ...livePins(live) });
  const tagged = renderDesired({
    sites: loaded.load.sites,
    cluster,
    pins: placement.pins,
    invalidSites: loaded.load.invalidSites,
    ...(varnish ? { varnishSecret: { hash: renderHash(varnish) } } : {}),
    instanceResources: contributed.flatMap((c) => c.resources),
    siteParts: siteParts(features),
  });
  for (const f of features) {
    const refused = f.refuse?.(tagged, live);
    if (refused) throw refused;
  }
  const { desired: rendered, unresolved } = await pinDigests(docker, tagged, cluster);
  // A site the plan refuses to change is left as it runs, like one with an invalid manifest.
  const rotations = unsafeRotations(rendered, live);
  const refused = new Set([...rotations.map((r) => r.site), ...unresolved.map((u) => u.site)]);
  const errors = [...rotations.map((r) => rotationError(loaded.load, r)), ...unresolvedErrors(loaded.load, unresolved)];
  const load = refuseSites(loaded.load, refused, errors);
  const desired = freezeSites(rendered, refused);
  const sites = sealedLookup(desired, values);
  const controller = controllerValues(desired, [varnish, ...contributed.flatMap((c) => c.controllerSecrets ?? [])]);
  const featureValue = (name: string): Buffer | undefined => {
    for (const c of contributed) {
      const value = c.secretValue?.(name);
      if (value !== undefined) return value;
    }
    return undefined;
  };
  const plan = makePlan(desired, live, load.errors);
  const placing = placement.warnings.map((w) => ({ site: w.site, name: w.site, message: w.message }));
  const warnings = [...plan.warnings, ...placing, ...features.flatMap((f) => f.warnings?.(load, cluster) ?? []), ...contributed.flatMap((c) => c.warnings ?? [])];
  return {
    load,
    cluster,
    desired,
    live,
    store,
    plan: { ...plan, warnings },
    secretValue: (name) => sites(name) ?? featureValue(name) ?? controller(name),
    varnishSecret: known(varnish),
  };
}

/**
 * The pull-request previews of the state directory join the sites (reconcile/previews-state.ts).
 * A state file that cannot be read freezes every live preview: never removed on a doubt.
 */
function withPreviews(loaded: LoadedRepo, store: StateStore, live: LiveState): LoadedRepo {
  try {
    return { ...loaded, load: withPreviewSites(loaded.load, readPreviewState(store), loaded.cluster.previews, new Date()) };
  } catch (err) {
    if (!(err instanceof PreviewStateError)) throw err;
    const frozen = livePreviewNames(liveSiteNames(live));
    const error = { file: PREVIEWS_FILE, line: 0, column: 0, path: "", message: `${err.message}: previews are left as they run until it is fixed` };
    return { ...loaded, load: { ...loaded.load, invalidSites: [...new Set([...loaded.load.invalidSites, ...frozen])].sort(), errors: [...loaded.load.errors, error] } };
  }
}

function liveSiteNames(live: LiveState): string[] {
  return [...live.services, ...live.volumes, ...live.secrets, ...live.networks].flatMap((o) => (o.site ? [o.site] : []));
}

/** Environments of a site whose manifest is invalid are left as they run with it (manifests/environments.ts). */
function withEnvironmentsOfInvalid(loaded: LoadedRepo, live: LiveState): LoadedRepo {
  const frozen = environmentsOfInvalid(loaded.load.invalidSites, loaded.load.sites.map((s) => s.name), new Set(liveSiteNames(live)));
  if (frozen.length === 0) return loaded;
  return { ...loaded, load: { ...loaded.load, invalidSites: [...loaded.load.invalidSites, ...frozen].sort() } };
}

const known = (s: ControllerSecret | undefined): Buffer | undefined => (s?.state === "known" ? s.value : undefined);

/** The controller secrets' values by the Swarm secret name render gave each. */
function controllerValues(desired: DesiredState, secrets: readonly (ControllerSecret | undefined)[]): (name: string) => Buffer | undefined {
  const byHash = new Map<string, Buffer>();
  for (const s of secrets) if (s?.state === "known") byHash.set(s.hash, s.value);
  const byName = new Map<string, Buffer>();
  for (const r of desired.resources) {
    if (r.kind !== "secret" || r.site !== null || !("provided" in r.source)) continue;
    const value = byHash.get(r.labels[LABEL.specHash] ?? "");
    if (value !== undefined) byName.set(r.name, value);
  }
  return (name) => byName.get(name);
}

function refuseSites(load: LoadResult, sites: ReadonlySet<string>, errors: readonly ManifestError[]): LoadResult {
  if (sites.size === 0) return load;
  return {
    ...load,
    sites: load.sites.filter((s) => !sites.has(s.name)),
    invalidSites: [...new Set([...load.invalidSites, ...sites])].sort(),
    errors: [...load.errors, ...errors],
  };
}

/** Tags to digests (desired/image-digests.ts), looked up through the engine with the registry credentials. */
async function pinDigests(docker: Docker, desired: DesiredState, cluster: ResolvedCluster): Promise<{ desired: DesiredState; unresolved: UnresolvedImage[] }> {
  const images = imagesToResolve(desired, cluster.images.resolveDigests);
  if (images.length === 0) return { desired, unresolved: [] };
  const auth = await loadRegistryAuth(cluster.registryAuth?.configFile);
  return pinImageDigests(desired, await resolveImageDigests(docker, images, auth));
}

/** One error per site (its first unresolved image): the site is left as it runs until the registry answers. */
function unresolvedErrors(load: LoadResult, unresolved: readonly UnresolvedImage[]): ManifestError[] {
  const seen = new Set<string>();
  return unresolved.flatMap((u) => {
    if (seen.has(u.site)) return [];
    seen.add(u.site);
    const file = load.sites.find((s) => s.name === u.site)?.file ?? `sites/${u.site}.yaml`;
    return [{ file, line: 0, column: 0, path: u.field, site: u.site, message: unresolvedMessage(u) }];
  });
}

function rotationError(load: LoadResult, r: UnsafeRotation): ManifestError {
  const file = load.sites.find((s) => s.name === r.site)?.file ?? `sites/${r.site}.yaml`;
  return {
    file,
    line: 0,
    column: 0,
    path: `spec.secrets[${r.secret}]`,
    site: r.site,
    message:
      `changes how ${r.secret} is made (${r.live} → ${r.desired}), but the database was initialised with the current value and ` +
      "keeps it: the site would lose its database. Nothing of this site is changed. Rotating a database password is not " +
      "supported yet: put the secret's generate settings (length, rotation) or sealed value back as they were",
  };
}
