import { spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { backupScript, checkScript, EXIT, keepFlags, listScript, restoreScript, verifyScript } from "../../../controller/backup/scripts";

/**
 * The job scripts' control flow, run by the real sh with stand-ins for restic and the MariaDB
 * client on PATH (the real ones run in test/integration/backup-restore.test.ts): which exit
 * code each failure gives, and that a half run removes its own snapshots.
 */
let dir: string;
const calls = () => readFileSync(path.join(dir, "calls"), "utf8").trim().split("\n");

function fake(name: string, body: string): void {
  const file = path.join(dir, name);
  writeFileSync(file, `#!/bin/sh\n${body}\n`);
  chmodSync(file, 0o755);
}

function run(script: string, args: string[], env: Record<string, string>): { status: number | null; out: string } {
  const r = spawnSync("sh", ["-c", script, "job", ...args], {
    env: { PATH: `${dir}:/usr/bin:/bin`, SIMULIUM_SITE: "acme", TMPDIR: dir, ...env },
    encoding: "utf8",
  });
  return { status: r.status, out: r.stdout + r.stderr };
}

const dbEnv = () => ({ DB_HOST: "acme_db", DB_NAME: "site", DB_ROOT_PASSWORD_FILE: path.join(dir, "rootpw"), BACKUP_TAGS: "site:acme,run:r1", RUN_TAG: "run:r1" });

beforeEach(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), "simulium-scripts-"));
  writeFileSync(path.join(dir, "rootpw"), "s3cret");
  writeFileSync(path.join(dir, "calls"), "");
  // restic: records its arguments; `backup --stdin` consumes the stream; `cat config` answers per REPO_STATE.
  // LOCKED=<glob>:<n>: the first n calls whose arguments match find the repository locked, as restic says it.
  fake(
    "restic",
    `echo "restic $*" >> "${"$"}{CALLS}"
pattern=${"$"}{LOCKED%:*}
case "$*" in
  $pattern) n=$(cat "${"$"}{CALLS}.locked" 2>/dev/null || echo 0) ;;
  *) n=none ;;
esac
# LOCKED_TOO=<glob>: those calls always find it locked.
case "$*" in ${"$"}{LOCKED_TOO:-no-such-call}) n=-1000000 ;; esac
if [ -n "${"$"}{LOCKED:-}${"$"}{LOCKED_TOO:-}" ] && [ "$n" != none ]; then
  if [ "$n" -lt "${"$"}{LOCKED##*:}" ]; then
    [ "$n" -lt 0 ] || echo $((n + 1)) > "${"$"}{CALLS}.locked"
    printf '%s\n' "unable to create lock in backend: repository is already locked exclusively by PID 15 on b69a226da31b by root (UID 0, GID 0)" \\
      "lock was created at 2026-12-01 16:56:21 (112.774956ms ago)" "storage ID def5271f" "the \\\`unlock\\\` command can be used to remove stale locks" >&2
    exit 1
  fi
fi
case "$1" in
  unlock) [ -z "${"$"}{STALE:-}" ] || echo 1000000 > "${"$"}{CALLS}.locked" ;;
  cat) [ "${"$"}{REPO_STATE:-ok}" = ok ] && exit 0
    [ "$REPO_STATE" = absent ] && printf 'Fatal: unable to open config file\nIs there a repository at the following location?\n' >&2
    [ "$REPO_STATE" = wrong ] && echo "Fatal: wrong password or no key found" >&2
    exit 1 ;;
  backup) case "$*" in *--stdin*) cat >> "${"$"}{CALLS}.stdin" ;; esac ;;
  # The run's own snapshot (tag run:r1) exists once a backup ran, until it is forgotten.
  snapshots) case "$*" in *run:r1*) grep -q "^restic backup" "${"$"}{CALLS}" && ! grep -q "^restic forget eeee" "${"$"}{CALLS}" && echo '[{"time":"t","id":"${"e".repeat(64)}","short_id":"eeeeeeee"}]' && exit 0 ;; esac; echo "[]" ;;
  restore) [ -z "${"$"}{RESTORE_FAILS:-}" ] || exit 1
    [ -z "${"$"}{RESTORED_DUMP+x}" ] || { mkdir -p "$4"; printf '%s' "$RESTORED_DUMP" > "$4/database.sql"; } ;;
esac
exit 0`,
  );
  fake("mariadb-dump", `echo dump >> "${"$"}{CALLS}.dumps"; echo "-- dump"; echo "pw=$MYSQL_PWD" > "${"$"}{CALLS}.pw"; [ -z "${"$"}{DUMP_FAILS:-}" ] || exit 2`);
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const env = (extra: Record<string, string> = {}) => ({ CALLS: path.join(dir, "calls"), ...extra });

describe("the backup script", () => {
  it("is valid sh, like every job script", () => {
    for (const s of [backupScript(), listScript(), verifyScript(), restoreScript(), checkScript()]) {
      expect(spawnSync("sh", ["-n", "-c", s]).status).toBe(0);
    }
  });

  it("streams the dump into restic, then applies retention with the keep flags", () => {
    const r = run(backupScript(), keepFlags({ keep: 2, keepDaily: 7 }), env(dbEnv()));
    expect(r).toMatchObject({ status: 0 });
    expect(calls()).toEqual([
      "restic cat config",
      "restic backup --host acme --tag site:acme,run:r1 --stdin --stdin-filename database.sql",
      "restic snapshots --json --tag run:r1",
      "restic forget --host acme --tag site:acme --prune --keep-last 2 --keep-daily 7",
    ]);
    expect(readFileSync(path.join(dir, "calls.stdin"), "utf8")).toBe("-- dump\n");
    // The root password reaches the client by environment, never on its command line.
    expect(readFileSync(path.join(dir, "calls.pw"), "utf8")).toBe("pw=s3cret\n");
    expect(r.out).not.toContain("s3cret");
  });

  it("a failed dump removes the run's snapshot and exits with its own code", () => {
    const r = run(backupScript(), keepFlags({ keep: 2 }), env({ ...dbEnv(), DUMP_FAILS: "1" }));
    expect(r.status).toBe(EXIT.databaseDump);
    expect(r.out).toMatch(/the database dump failed \(mariadb-dump exit 2\); removing the snapshots of this run/);
    expect(calls()).toContain(`restic forget ${"e".repeat(64)}`);
    expect(calls().some((c) => c.includes("--prune"))).toBe(false);
  });

  it("backs up the volumes as a second snapshot with the same tags", () => {
    const r = run(backupScript(), keepFlags({ keep: 1 }), env({ ...dbEnv(), SITE_VOLUMES: "files" }));
    expect(r.status).toBe(0);
    expect(calls()).toContain("restic backup --host acme --tag site:acme,run:r1 /data");
  });

  it("creates a missing repository, but never initialises over one it cannot open", () => {
    expect(run(backupScript(), keepFlags({ keep: 1 }), env({ ...dbEnv(), REPO_STATE: "absent" })).status).toBe(0);
    expect(calls()).toContain("restic init");
    writeFileSync(path.join(dir, "calls"), "");
    const wrong = run(backupScript(), keepFlags({ keep: 1 }), env({ ...dbEnv(), REPO_STATE: "wrong" }));
    expect(wrong.status).toBe(EXIT.repository);
    expect(calls()).toEqual(["restic cat config"]);
  });
});

describe("another job's lock on the repository", () => {
  // restic 0.14 has no --retry-lock; a scheduled prune or check holds the lock for a while.
  const quick = { LOCK_RETRY_S: "0" };
  const count = (prefix: string) => calls().filter((c) => c.startsWith(prefix)).length;
  const waiting = /is locked by another job \(already locked exclusively by PID 15 on b69a226da31b by root \(UID 0, GID 0\)\); restic (\w+) waits for it/g;

  it("a listing waits for it and then lists, saying once that it waits, without restic's message each time", () => {
    const r = run(listScript(), [], env({ ...quick, LOCKED: "snapshots*:3" }));
    expect(r.status).toBe(0);
    expect(count("restic snapshots")).toBe(4);
    expect([...r.out.matchAll(waiting)].map((m) => m[1])).toEqual(["snapshots"]);
    expect(r.out).not.toMatch(/storage ID|remove stale locks|lock was created/);
    expect(r.out).toContain("@@simulium snapshots\n[]");
    // Stale locks (a killed job's) are removed at the first wait, not on every retry.
    expect(count("restic unlock")).toBe(1);
  });

  it("a lock met when the repository is opened is said and waited for too", () => {
    const r = run(listScript(), [], env({ ...quick, LOCKED: "cat config:2" }));
    expect(r.status).toBe(0);
    expect([...r.out.matchAll(waiting)].map((m) => m[1])).toEqual(["cat"]);
    const gaveUp = run(listScript(), [], env({ LOCK_RETRY_S: "1", LOCK_WAIT_S: "1", LOCKED: "cat config:100" }));
    expect(gaveUp.status).toBe(EXIT.locked);
    expect(gaveUp.out).toMatch(/stayed locked by another job through \d+s of waiting \(restic cat\); giving up/);
    expect(gaveUp.out).not.toMatch(/cannot be opened/);
  });

  it("gives up after LOCK_WAIT_S of waiting, with restic's own message once", () => {
    const r = run(listScript(), [], env({ LOCK_RETRY_S: "1", LOCK_WAIT_S: "2", LOCKED: "snapshots*:100" }));
    expect(r.status).toBe(EXIT.locked);
    // Waiting is counted in whole seconds of the clock: 2 or 3 tries.
    expect(count("restic snapshots")).toBeGreaterThanOrEqual(2);
    expect(r.out.match(/repository is already locked exclusively by PID 15/g)).toHaveLength(1);
    expect(r.out).toMatch(/stayed locked by another job through \d+s of waiting \(restic snapshots\); giving up/);
  });

  it("a lock left by a killed job is removed once restic finds it stale (restic unlock), then the job goes on", () => {
    const r = run(listScript(), [], env({ ...quick, LOCKED: "snapshots*:1000", STALE: "1" }));
    expect(r.status).toBe(0);
    expect(calls().slice(0, 4)).toEqual(["restic cat config", "restic snapshots --json --tag site:acme", "restic unlock", "restic snapshots --json --tag site:acme"]);
  });

  it("a backup whose dump is refused for a lock dumps again once a cheap command got the lock: one whole stream stored", () => {
    const r = run(backupScript(), keepFlags({ keep: 2 }), env({ ...dbEnv(), ...quick, LOCKED: "backup*--stdin*:2" }));
    expect(r.status).toBe(0);
    expect(count("restic backup --host acme --tag site:acme,run:r1 --stdin")).toBe(3);
    expect(readFileSync(path.join(dir, "calls.dumps"), "utf8")).toBe("dump\ndump\ndump\n");
    expect(count("restic cat config")).toBe(3);
    expect(readFileSync(path.join(dir, "calls.stdin"), "utf8")).toBe("-- dump\n");
    expect(calls().some((c) => c.startsWith("restic forget e"))).toBe(false);
  });

  it("giving up before anything is stored leaves nothing to remove; giving up at the volumes removes the dump's snapshot", () => {
    const atDump = run(backupScript(), keepFlags({ keep: 2 }), env({ ...dbEnv(), LOCK_RETRY_S: "1", LOCK_WAIT_S: "1", LOCKED: "backup*--stdin*:100" }));
    expect(atDump.status).toBe(EXIT.locked);
    expect(calls().some((c) => c.startsWith("restic forget"))).toBe(false);
    writeFileSync(path.join(dir, "calls"), "");
    const atVolumes = run(backupScript(), keepFlags({ keep: 2 }), env({ ...dbEnv(), SITE_VOLUMES: "files", LOCK_RETRY_S: "1", LOCK_WAIT_S: "1", LOCKED: "backup*/data:100" }));
    expect(atVolumes.status).toBe(EXIT.locked);
    expect(atVolumes.out).toMatch(/backing up the volumes failed; removing the snapshots of this run/);
    expect(calls()).toContain(`restic forget ${"e".repeat(64)}`);
    expect(calls().some((c) => c.includes("--prune"))).toBe(false);
  });

  it("a failed run that cannot remove its snapshots (the lock held on) waits its own allowance, then says the run is incomplete", () => {
    const r = run(backupScript(), keepFlags({ keep: 2 }), env({ ...dbEnv(), SITE_VOLUMES: "files", LOCK_RETRY_S: "1", LOCK_WAIT_S: "1", DISCARD_WAIT_S: "2", LOCKED: "backup*/data:100", LOCKED_TOO: "forget eeee*" }));
    expect(r.status).toBe(EXIT.incomplete);
    expect(count("restic forget eeee")).toBeGreaterThanOrEqual(2);
    expect(r.out).toMatch(/the snapshots of this run could not be removed: run:r1 stays in the repository/);
  });

  it("retention waits for a check's lock instead of failing the run", () => {
    const r = run(backupScript(), keepFlags({ keep: 2 }), env({ ...dbEnv(), ...quick, LOCKED: "forget*--prune*:2" }));
    expect(r.status).toBe(0);
    expect(count("restic forget --host acme")).toBe(3);
  });

  it("a verify that gave up says so, not that the backup is damaged", () => {
    const r = run(verifyScript(), ["a".repeat(64)], env({ LOCK_RETRY_S: "1", LOCK_WAIT_S: "1", LOCKED: "check*:100" }));
    expect(r.status).toBe(EXIT.locked);
  });

  it("any other failure is not run again", () => {
    const r = run(restoreScript(), [], env({ ...quick, RESTORE_DB_SNAPSHOT: "a".repeat(64), RESTORE_VOLUMES_SNAPSHOT: "", RESTORE_FAILS: "1", LOAD_SWAP_SCRIPT: "exit 0" }));
    expect(r.status).toBe(EXIT.verify);
    expect(count("restic restore")).toBe(1);
    expect(r.out).not.toMatch(/waits for it/);
  });
});

describe("the verify script", () => {
  // The script restores into /tmp/verify/<id>, as in its container: a fresh id, removed after.
  const ids: string[] = [];
  afterAll(() => ids.forEach((id) => rmSync(`/tmp/verify/${id}`, { recursive: true, force: true })));
  const verify = (dump: string) => {
    const id = randomBytes(32).toString("hex");
    ids.push(id);
    return run(verifyScript(), [id], env({ RESTORED_DUMP: dump }));
  };

  it("refuses a dump that did not complete (no trailer): the dump failed after restic stored the stream", () => {
    const cut = verify("-- MariaDB dump\nCREATE TABLE a (id int);\nINSERT INTO a VALUES (1");
    expect(cut.status).toBe(EXIT.dumpIncomplete);
    expect(cut.out).toMatch(/holds a database dump that did not complete/);
    const whole = verify("-- MariaDB dump\nCREATE TABLE a (id int);\n-- Dump completed on 2026-12-01 18:00:00\n");
    expect(whole.status).toBe(0);
    expect(whole.out).toContain("@@simulium verified");
  });
});

describe("the restore script", () => {
  const restoreEnv = (extra: Record<string, string>) => env({ RESTORE_DB_SNAPSHOT: "a".repeat(64), RESTORE_VOLUMES_SNAPSHOT: "", ...extra });

  it("refuses before loading anything when restic cannot verify the snapshot", () => {
    const r = run(restoreScript(), [], restoreEnv({ RESTORE_FAILS: "1", LOAD_SWAP_SCRIPT: `echo loaded >> "$CALLS"` }));
    expect(r.status).toBe(EXIT.verify);
    expect(calls()).not.toContain("loaded");
  });

  it("maps the load-and-swap exit codes", () => {
    expect(run(restoreScript(), [], restoreEnv({ LOAD_SWAP_SCRIPT: "exit 3" })).status).toBe(EXIT.loadFailed);
    expect(run(restoreScript(), [], restoreEnv({ LOAD_SWAP_SCRIPT: "exit 4" })).status).toBe(EXIT.swapFailed);
    const ok = run(restoreScript(), [], restoreEnv({ LOAD_SWAP_SCRIPT: `echo "load $1" >> "$CALLS"` }));
    expect(ok.status).toBe(0);
    expect(calls()).toContain("load /tmp/restore/db/database.sql");
  });
});

describe("retention flags", () => {
  it("always keeps the last N, and adds the calendar rules that are set", () => {
    expect(keepFlags({ keep: 7 })).toEqual(["--keep-last", "7"]);
    expect(keepFlags({ keep: 3, keepWeekly: 4, keepMonthly: 12 })).toEqual(["--keep-last", "3", "--keep-weekly", "4", "--keep-monthly", "12"]);
  });
});
