import { chmodSync, mkdirSync, readdirSync, readFileSync, renameSync, statSync, unlinkSync, writeFileSync } from "node:fs";
import path from "node:path";
import { ReadOnlyStateError } from "./errors";

/**
 * The controller's state directory: the only place simulium keeps anything outside the swarm
 * and git. Everything it holds, one folder per instance:
 *
 *   <dir>/<instance>/varnish-secret       the Varnish admin secret (controller-secret.ts)
 *   <dir>/<instance>/restic-password      the generated restic password (controller-secret.ts)
 *   <dir>/<instance>/backups/<site>.json  last backup and check of each site (backup-records.ts)
 *   <dir>/<instance>/tls/                 the ACME account key, each site's certificate and its record (tls-store.ts)
 *   <dir>/<instance>/plans/<sha>.json     the last pull-request heads' plans, for the plan page (daemon/plan-store.ts)
 *   <dir>/repo/                           the daemon's clone of a git source (source/git.ts)
 *
 * Folders are 0700 and files 0600: the secrets are the keys to every Varnish and every backup.
 * A store opened read-only (plan, status, validate, history, backups) refuses every write, so a
 * command that only looks can never create, replace or half-write a file.
 */
export const DEFAULT_STATE_DIR = "/var/lib/simulium";

/** --state-dir, else SIMULIUM_STATE_DIR, else /var/lib/simulium. */
export function resolveStateDir(option?: string): string {
  return option ?? process.env.SIMULIUM_STATE_DIR ?? DEFAULT_STATE_DIR;
}

export type StateMode = "read-only" | "read-write";

export class StateStore {
  readonly dir: string;

  constructor(
    stateDir: string,
    readonly instance: string,
    readonly mode: StateMode,
  ) {
    this.dir = path.join(stateDir, instance);
  }

  path(relative: string): string {
    return path.join(this.dir, relative);
  }

  /** The file's exact bytes, or undefined when it does not exist. */
  read(relative: string): Buffer | undefined {
    try {
      return readFileSync(this.path(relative));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === "ENOENT") return undefined;
      throw err;
    }
  }

  /**
   * Writes the file only if it does not exist ("wx"), so a value another process (or an
   * operator) just wrote is never replaced. Returns the bytes that are in the file afterwards.
   */
  createOnce(relative: string, value: string | Buffer): Buffer {
    const file = this.writable(relative);
    try {
      writeFileSync(file, value, { flag: "wx", mode: 0o600 });
      chmodSync(file, 0o600);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
    }
    return readFileSync(file);
  }

  /** Replaces the file whole: written beside it and renamed, so a reader never sees half of it. */
  replace(relative: string, value: string): void {
    const file = this.writable(relative);
    const tmp = `${file}.${process.pid}.tmp`;
    writeFileSync(tmp, value, { mode: 0o600 });
    renameSync(tmp, file);
  }

  /** The files of a folder with their modification times, oldest first ([] when it does not exist). */
  list(relativeDir: string): { name: string; mtimeMs: number }[] {
    let names: string[];
    try {
      names = readdirSync(this.path(relativeDir));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === "ENOENT") return [];
      throw err;
    }
    const out: { name: string; mtimeMs: number }[] = [];
    for (const name of names) {
      try {
        const st = statSync(this.path(path.join(relativeDir, name)));
        if (st.isFile()) out.push({ name, mtimeMs: st.mtimeMs });
      } catch {
        // Removed meanwhile (another pruner): not listed.
      }
    }
    return out.sort((a, b) => a.mtimeMs - b.mtimeMs || a.name.localeCompare(b.name));
  }

  /** Removes a file; one already gone is not an error. */
  remove(relative: string): void {
    const file = this.path(relative);
    if (this.mode === "read-only") throw new ReadOnlyStateError(file);
    try {
      unlinkSync(file);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "ENOENT") throw err;
    }
  }

  private writable(relative: string): string {
    const file = this.path(relative);
    if (this.mode === "read-only") throw new ReadOnlyStateError(file);
    mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
    return file;
  }
}
