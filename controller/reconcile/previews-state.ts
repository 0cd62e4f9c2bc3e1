import type { LoadResult, ManifestError, ResolvedSite } from "../manifests/types";
import { admitted, capPreviewSite, expired, PreviewConfig, PreviewRecord } from "../manifests/previews";
import type { StateStore } from "../state/store";

/**
 * The pull-request previews the daemon deployed, kept in the state directory
 * (`previews.json`): the records and the preview sites resolved from each pull request's
 * head. Every reconcile, the daemon's and an operator's `simulium apply`, adds these sites to
 * the repository's, so a hand apply never removes a preview, and a closed pull request's
 * preview is removed by the reconcile after its record goes.
 */
export const PREVIEWS_FILE = "previews.json";

export interface PreviewState {
  readonly records: readonly PreviewRecord[];
  /** Resolved preview sites (`<site>--pr<number>`): plain data, every secret generated, no sealed value. */
  readonly sites: readonly ResolvedSite[];
}

export const NO_PREVIEWS: PreviewState = { records: [], sites: [] };

/** The file cannot be read as preview state: previews are then left as they run (never removed). */
export class PreviewStateError extends Error {}

export function readPreviewState(store: StateStore): PreviewState {
  const raw = store.read(PREVIEWS_FILE);
  if (raw === undefined) return NO_PREVIEWS;
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw.toString("utf8"));
  } catch {
    throw new PreviewStateError(`${store.path(PREVIEWS_FILE)} is not JSON`);
  }
  const o = parsed as Partial<PreviewState> | null;
  if (!o || !Array.isArray(o.records) || !Array.isArray(o.sites)) throw new PreviewStateError(`${store.path(PREVIEWS_FILE)} has no records and sites lists`);
  for (const s of o.sites as ResolvedSite[]) {
    if (typeof s?.name !== "string" || s.environment?.preview === undefined) throw new PreviewStateError(`${store.path(PREVIEWS_FILE)} lists a site that is not a preview`);
  }
  return { records: o.records, sites: o.sites };
}

export function writePreviewState(store: StateStore, state: PreviewState): void {
  store.replace(PREVIEWS_FILE, `${JSON.stringify(state, null, 2)}\n`);
}

/**
 * The repository's load with the previews added: those of pull requests admitted under
 * `max` and pushed to within `ttlHours` (a reconcile past the TTL removes them), each within
 * the resource caps in force. A preview whose domain or name the
 * repository now uses (the main branch took it since) is left out with an error, and is
 * removed by the reconcile: a preview never takes a deployed domain. Pure.
 */
export function withPreviewSites(load: LoadResult, previews: PreviewState, config: PreviewConfig | undefined, now: Date): LoadResult {
  if (previews.sites.length === 0) return load;
  // Previews switched off (no spec.previews): none is deployed, so every one is removed.
  if (config === undefined) return load;
  const live = previews.records.filter((r) => !expired([r], now, config.ttlHours).length);
  const allowed = new Set(admitted(live, config.max).admitted.map((r) => r.number));
  const domains = new Map<string, string>();
  for (const s of load.sites) for (const d of s.domains) domains.set(d, s.name);
  const names = new Set([...load.sites.map((s) => s.name), ...load.invalidSites]);
  const added: ResolvedSite[] = [];
  const errors: ManifestError[] = [];
  for (const p of previews.sites) {
    const number = p.environment?.preview?.number;
    if (number === undefined || !allowed.has(number)) continue;
    const clash = p.domains.find((d) => domains.has(d));
    if (names.has(p.name) || clash !== undefined) {
      const why = clash !== undefined ? `its domain ${clash} is now served by ${domains.get(clash) ?? "?"}` : `${p.name} is now a site of the repository`;
      errors.push({ file: p.file, line: 0, column: 0, path: "", site: p.name, message: `the preview ${p.name} is removed: ${why}` });
      continue;
    }
    added.push(capPreviewSite(p, config));
    names.add(p.name);
    for (const d of p.domains) domains.set(d, p.name);
  }
  return { ...load, sites: [...load.sites, ...added], errors: [...load.errors, ...errors] };
}

/** Live sites that look like previews (`<site>--pr<N>`): frozen when the state file cannot be read. */
export function livePreviewNames(liveSites: Iterable<string>): string[] {
  return [...new Set([...liveSites].filter((n) => /--pr[0-9]+$/.test(n)))].sort();
}
