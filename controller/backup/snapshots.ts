import { MARK } from "./scripts";

/** One restic snapshot of a site, as `restic snapshots --json` gives it (the fields used). */
export interface Snapshot {
  readonly id: string;
  readonly shortId: string;
  readonly time: string;
  readonly paths: readonly string[];
  readonly tags: readonly string[];
}

export type SnapshotKind = "database" | "volumes";

/** One backup run: the database snapshot and the volumes snapshot sharing a `run:` tag. */
export interface BackupRun {
  readonly run: string;
  /** The earliest snapshot's time (the run's start). */
  readonly time: string;
  readonly commit?: string;
  readonly manifest?: string;
  readonly snapshots: readonly { readonly id: string; readonly shortId: string; readonly kind: SnapshotKind; readonly sizeBytes?: number }[];
  /** The snapshots the run was made to have and lacks (tags.ts `parts`): a failed run that stayed, or one retention split. */
  readonly missing?: readonly SnapshotKind[];
  /** Unset for a run made before runs were tagged with their parts: what it lacks is unknown. */
  readonly tagged?: boolean;
  /** Restore size of the run's snapshots, when known. */
  readonly sizeBytes?: number;
}

export class SnapshotParseError extends Error {}

/** The JSON printed after `@@simulium snapshots`. Pure. */
export function parseSnapshots(output: string): Snapshot[] {
  const json = sectionAfter(output, `${MARK} snapshots`);
  if (json === undefined) throw new SnapshotParseError("the job printed no snapshot list");
  let raw: unknown;
  try {
    raw = JSON.parse(json);
  } catch {
    throw new SnapshotParseError("the snapshot list is not valid JSON");
  }
  if (!Array.isArray(raw)) throw new SnapshotParseError("the snapshot list is not a JSON array");
  return raw.map((s: unknown): Snapshot => {
    const o = (s ?? {}) as Record<string, unknown>;
    if (typeof o.id !== "string" || typeof o.time !== "string") throw new SnapshotParseError("a snapshot has no id or time");
    return {
      id: o.id,
      shortId: typeof o.short_id === "string" ? o.short_id : o.id.slice(0, 8),
      time: o.time,
      paths: Array.isArray(o.paths) ? o.paths.filter((p): p is string => typeof p === "string") : [],
      tags: Array.isArray(o.tags) ? o.tags.filter((t): t is string => typeof t === "string") : [],
    };
  });
}

/** Restore sizes printed after `@@simulium stats <id>`, by snapshot id. Pure. */
export function parseSizes(output: string): Map<string, number> {
  const sizes = new Map<string, number>();
  const lines = output.split("\n");
  lines.forEach((line, i) => {
    const m = new RegExp(`^${MARK} stats ([0-9a-f]{64})$`).exec(line.trim());
    if (!m) return;
    // The JSON is the next line of stdout; a line of stderr (a lock wait) may come between.
    const json = lines.slice(i + 1).find((l) => l.trim().startsWith("{") || l.trim().startsWith(MARK));
    try {
      const stats = JSON.parse(json?.trim().startsWith("{") ? json : "") as { total_size?: unknown };
      if (typeof stats.total_size === "number") sizes.set(m[1] ?? "", stats.total_size);
    } catch {
      // A size that cannot be read is shown as unknown; the snapshot is still listed.
    }
  });
  return sizes;
}

export function tagValue(tags: readonly string[], key: string): string | undefined {
  const t = tags.find((x) => x.startsWith(`${key}:`));
  return t?.slice(key.length + 1);
}

export function snapshotKind(s: Snapshot): SnapshotKind {
  return s.paths.some((p) => p.endsWith("/database.sql")) ? "database" : "volumes";
}

/** Snapshots grouped by run, newest run first. Snapshots without a run tag are not ours and left out. Pure. */
export function groupRuns(snapshots: readonly Snapshot[], sizes: ReadonlyMap<string, number> = new Map()): BackupRun[] {
  const byRun = new Map<string, Snapshot[]>();
  for (const s of snapshots) {
    const run = tagValue(s.tags, "run");
    if (run === undefined) continue;
    byRun.set(run, [...(byRun.get(run) ?? []), s]);
  }
  const runs = [...byRun].map(([run, snaps]): BackupRun => {
    const sorted = [...snaps].sort((a, b) => snapshotKind(a).localeCompare(snapshotKind(b)));
    const first = [...snaps].sort((a, b) => a.time.localeCompare(b.time))[0];
    const known = sorted.map((s) => sizes.get(s.id));
    const commit = tagValue(first?.tags ?? [], "commit");
    const manifest = tagValue(first?.tags ?? [], "manifest");
    const partsTag = tagValue(first?.tags ?? [], "parts");
    const parts = partsTag?.split(".") ?? [];
    const missing = (["database", "volumes"] as const).filter((k) => parts.includes(k) && !snaps.some((s) => snapshotKind(s) === k));
    return {
      run,
      time: first?.time ?? "",
      ...(commit !== undefined ? { commit } : {}),
      ...(manifest !== undefined ? { manifest } : {}),
      snapshots: sorted.map((s) => {
        const size = sizes.get(s.id);
        return { id: s.id, shortId: s.shortId, kind: snapshotKind(s), ...(size !== undefined ? { sizeBytes: size } : {}) };
      }),
      ...(known.every((k): k is number => k !== undefined) ? { sizeBytes: known.reduce((a, b) => a + b, 0) } : {}),
      ...(missing.length > 0 ? { missing } : {}),
      ...(partsTag !== undefined ? { tagged: true } : {}),
    };
  });
  return runs.sort((a, b) => b.time.localeCompare(a.time));
}

/**
 * The run `--from` names: `latest`, a run id, or a snapshot id (full or at least 8 hex
 * characters) of either of the run's snapshots. Undefined when nothing matches. Pure.
 */
export function findRun(runs: readonly BackupRun[], from: string): BackupRun | undefined {
  if (from === "latest") return runs[0];
  const byRun = runs.find((r) => r.run === from);
  if (byRun) return byRun;
  if (!/^[0-9a-f]{8,64}$/.test(from)) return undefined;
  const matches = runs.filter((r) => r.snapshots.some((s) => s.id.startsWith(from)));
  return matches.length === 1 ? matches[0] : undefined;
}

/**
 * The runs a restore of `latest` may use, newest first: none that lacks a part its tag names
 * (a failed run that could not remove what it stored), each with a database snapshot when the
 * restore loads one. What else the site has now does not matter: a site that gained a volume
 * restores its database from runs made before, and leaves the new volume as it is. A run made
 * before the parts tag (every failed run then stayed, with its dump and without its volumes)
 * needs a volumes snapshot when any run in the repository has one. Pure.
 */
export function latestCandidates(runs: readonly BackupRun[], needsDatabase: boolean): BackupRun[] {
  const has = (r: BackupRun, k: SnapshotKind) => r.snapshots.some((s) => s.kind === k);
  const volumesSeen = runs.some((r) => has(r, "volumes"));
  return runs.filter((r) => r.missing === undefined && (!needsDatabase || has(r, "database")) && (r.tagged === true || !volumesSeen || has(r, "volumes")));
}

function sectionAfter(output: string, marker: string): string | undefined {
  const lines = output.split("\n");
  const at = lines.findIndex((l) => l.trim() === marker);
  if (at < 0) return undefined;
  return lines.slice(at + 1).find((l) => l.trim().startsWith("["))?.trim();
}
