import type { BackupRun } from "./snapshots";

/** `simulium backups SITE` for people: one line per run, newest first. Pure. */
export function renderRuns(site: string, runs: readonly BackupRun[]): string {
  if (runs.length === 0) return `${site} has no backup yet (simulium backup ${site} makes one)\n`;
  const header = ["TIME", "RUN", "COMMIT", "SIZE", "SNAPSHOTS"];
  const rows = runs.map((r) => [
    r.time.replace(/\.\d+/, "").replace("T", " "),
    r.run,
    r.commit?.slice(0, 12) ?? "-",
    r.sizeBytes !== undefined ? formatBytes(r.sizeBytes) : "?",
    r.snapshots.map((s) => `${s.kind}=${s.shortId}`).join(" ") + (r.missing ? ` (incomplete: no ${r.missing.join(", ")})` : ""),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => (row[i] ?? "").length)));
  const line = (cells: readonly string[]) => cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i] ?? 0))).join("  ") + "\n";
  return line(header) + rows.map(line).join("");
}

export function formatBytes(n: number): string {
  const units = ["B", "KiB", "MiB", "GiB", "TiB"];
  let v = n;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return u === 0 ? `${v} B` : `${v.toFixed(1)} ${units[u]}`;
}
