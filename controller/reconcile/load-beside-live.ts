import type { LiveState } from "../live/types";
import { CLUSTER_FILE } from "../manifests/layout";
import { parseManifest } from "../manifests/parse";
import { readClusterFile, readRepo, RepoRead } from "../manifests/read";
import { resolveCluster } from "../manifests/resolve";
import { checkClusterSchema } from "../manifests/schema";

/** The swarm's state for an instance, as readLive reads it. */
export type ReadLiveOf = (instance: string) => Promise<LiveState>;

/**
 * The manifests loaded and the swarm read side by side, for a command that plans a
 * repository from scratch (`simulium plan`, status): the swarm's list calls go out before the
 * manifests are read, so the engine's own time to answer (off this thread: its list of 20,000
 * services is tens of MB of JSON) overlaps reading and loading the files. Its answers are
 * parsed here when they arrive, between two batches of files read (manifests/read.ts).
 *
 * The instance is known before the load only from simulium.yaml read on its own (or
 * --instance): the swarm read for it is used only when the load ends with the same instance,
 * and is read again otherwise. A load that fails fails as before; the early read's outcome is
 * then dropped.
 */
export async function loadBesideLive<Loaded extends { readonly cluster: { readonly instance: string } }>(
  repoDir: string,
  given: {
    /** --instance, when given. */
    readonly instance: string | undefined;
    /** The load from the files read (pipeline.ts loadForPlan with them as its `read`). */
    readonly load: (read: () => Promise<RepoRead>) => Promise<Loaded>;
    readonly readLive: ReadLiveOf;
  },
): Promise<{ loaded: Loaded; live: LiveState }> {
  const instance = given.instance || (await instanceAhead(repoDir));
  const early = instance === undefined ? undefined : given.readLive(instance);
  // Awaited below, or dropped when the load fails: never an unhandled rejection.
  early?.catch(() => undefined);
  const read = readRepo(repoDir);
  // A load that fails before it reads the files leaves this read to end alone: never unhandled.
  read.catch(() => undefined);
  const loaded = await given.load(() => read);
  const live = early !== undefined && instance === loaded.cluster.instance ? await early : await given.readLive(loaded.cluster.instance);
  return { loaded, live };
}

/** The instance simulium.yaml names (its default without one); undefined when it does not load. */
async function instanceAhead(repoDir: string): Promise<string | undefined> {
  const text = await readClusterFile(repoDir);
  if (text === undefined) return resolveCluster(undefined).instance;
  const parsed = parseManifest(CLUSTER_FILE, text);
  if (!parsed.ok) return undefined;
  const schema = checkClusterSchema(parsed.manifest.value);
  return schema.ok ? resolveCluster(schema.value).instance : undefined;
}
