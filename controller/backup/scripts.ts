import { LOAD_SWAP_EXIT } from "../database/load-swap";

/**
 * The POSIX sh scripts the backup jobs run in the tools image, as `["sh", "-c", script, name,
 * ...args]`. Every value reaches them as an environment variable or a positional argument,
 * always expanded in double quotes: nothing from a manifest is ever part of the script text.
 * Pure; the exit codes are the contract with backup/outcome.ts.
 */

/** Exit codes of the scripts, beyond restic's and the shell's own. */
export const EXIT = {
  /** The repository could not be opened (wrong password, unreachable) or created. */
  repository: 20,
  databaseDump: 21,
  volumes: 22,
  /** The backup is made, but `forget --prune` failed: older snapshots are still there. */
  retention: 23,
  /** restic could not verify a snapshot (restore with --verify, or check): nothing was changed. */
  verify: 24,
  /** The dump did not load (load-swap exit 3): the live database is untouched. */
  loadFailed: 25,
  /** The swap failed (load-swap exit 4): its message says what state the database is in. */
  swapFailed: 26,
  rsync: 27,
  /** Another job held the repository's lock for LOCK_WAIT_S: this job stopped where it was. */
  locked: 28,
  /** A backup run failed and its snapshots could not be removed: it stays, incomplete. */
  incomplete: 29,
  /** verify: the run's database dump did not complete (no mariadb-dump trailer). */
  dumpIncomplete: 30,
} as const;

/** Printed before machine-readable output, so log noise around it cannot be mistaken for it. */
export const MARK = "@@simulium";

/** Seconds a job waits in all for other jobs' repository locks before it gives up (EXIT.locked). */
export const LOCK_WAIT_S = 900;
/** More seconds a failed backup run may wait to remove what it stored. */
const DISCARD_WAIT_S = 300;

/**
 * restic 0.14 (Debian 12) has no --retry-lock: a command that finds the site's repository
 * locked by another job fails at once. Jobs of one repository do overlap: the daemon's
 * scheduled backup (its forget --prune locks exclusively) and scheduled check (exclusive) are
 * separate schedules, and an operator's list, backup, restore or sync runs from another
 * process. So \`restic\` is a function that runs the real one and, when restic says the
 * repository is locked, waits 2–3 s (a random part, so two jobs after the exclusive lock do not
 * collide in step) and runs it again, up to LOCK_WAIT_S seconds of waiting for the whole job;
 * then it returns EXIT.locked. restic locks before it reads anything, so a command refused for
 * a lock has done nothing. Its stderr is streamed as it comes and kept for lock_wait, without
 * restic's lock message: that is said once per wait, on fd 3 (the job's own stderr, which a
 * caller's \`2>file\` does not hide). restic 0.14 never passes a stale lock (a killed job's)
 * either, so a wait runs \`restic unlock\` every 30 s: it removes only the locks restic finds
 * stale, older than 30 minutes (a live job refreshes its lock every 5). \`restic_once\` runs a
 * command once (one whose stdin is data, which only its caller can produce again) and
 * \`lock_wait\` decides after it.
 */
const LOCK_WAIT = `LOCK_WAIT_S=\${LOCK_WAIT_S:-${LOCK_WAIT_S}}
LOCK_RETRY_S=\${LOCK_RETRY_S:-2}
DISCARD_WAIT_S=\${DISCARD_WAIT_S:-${DISCARD_WAIT_S}}
exec 3>&2
# $$ is the script's own shell in every subshell, so a pipeline's restic_once and lock_wait agree.
RESTIC_ERR="\${TMPDIR:-/tmp}/restic-$$.err"
trap 'rm -f "$RESTIC_ERR" "$RESTIC_ERR.rc"' EXIT
lock_waited=0
lock_unlocked=0
# A new command that may wait: said again if it waits; the job's budget goes on.
lock_start() { lock_cmd=$1; lock_last=""; lock_told=0; }
lock_start ""
restic_once() {
  rm -f "$RESTIC_ERR.rc"
  { { command restic "$@" 2>&1 1>&4 4>&-; echo "$?" >"$RESTIC_ERR.rc"; } | tee "$RESTIC_ERR" \\
      | grep --line-buffered -v -E 'repository is already locked|^lock was created at |^storage ID [0-9a-f]+$|command can be used to remove stale locks$' >&2; } 4>&1
  once_rc=$(cat "$RESTIC_ERR.rc" 2>/dev/null)
  return "\${once_rc:-1}"
}
# After a failed restic_once: 0 when it was refused for another job's lock and waited, 1 for
# any other failure, 2 when the job's waiting is over.
lock_wait() {
  grep -q "repository is already locked" "$RESTIC_ERR" 2>/dev/null || return 1
  now=$(date +%s)
  [ -z "$lock_last" ] || lock_waited=$((lock_waited + now - lock_last))
  lock_last=$now
  if [ "$lock_waited" -ge "$LOCK_WAIT_S" ]; then
    { cat "$RESTIC_ERR"; echo "the restic repository of $SIMULIUM_SITE stayed locked by another job through \${lock_waited}s of waiting (restic $lock_cmd); giving up"; } >&3
    return 2
  fi
  if [ $((now - lock_unlocked)) -ge 30 ]; then
    command restic unlock >/dev/null 2>&1 || true
    lock_unlocked=$now
  fi
  if [ "$lock_told" -eq 0 ]; then
    echo "the restic repository of $SIMULIUM_SITE is locked by another job ($(grep -o 'already locked.*' "$RESTIC_ERR" | head -n 1)); restic $lock_cmd waits for it" >&3
    lock_told=1
  fi
  tenth=$(od -An -N1 -tu1 /dev/urandom 2>/dev/null | tr -dc 0-9)
  sleep "$LOCK_RETRY_S.$((\${tenth:-0} % 10))"
  return 0
}
# Every function keeps its status in its own variable: sh has only globals.
restic() {
  lock_start "$1"
  while :; do
    restic_once "$@" && return 0
    restic_rc=$?
    lock_wait
    case $? in
      0) ;;
      2) return ${EXIT.locked} ;;
      *) return "$restic_rc" ;;
    esac
  done
}
# \`cmd || fail N\`: exits N, or EXIT.locked when cmd gave up waiting for a lock.
fail() {
  fail_rc=$?
  [ "$fail_rc" -eq ${EXIT.locked} ] && exit ${EXIT.locked}
  exit "$1"
}`;

/**
 * Exports the sealed environment (RESTIC_ENV_NAMES, e.g. object storage keys) from the
 * secret files, then opens the site's repository, creating it when there is none yet. A
 * repository that exists but does not open (wrong password) is never initialised over.
 */
const PRELUDE = `set -u
${LOCK_WAIT}
for n in \${RESTIC_ENV_NAMES:-}; do
  export "$n=$(cat "/run/secrets/restic-env-$n")"
done
# The 64-hex ids in \`restic snapshots --json\` output (file $1): one snapshot per line, then
# its "id" (the only key spelled exactly so).
snapshot_ids() {
  tr '{' '\\n' <"$1" | sed -n 's/.*"id":"\\([0-9a-f]\\{64\\}\\)".*/\\1/p'
}
open_repository() {
  restic cat config >/dev/null 2>/tmp/restic-open.err && return 0
  [ "$?" -eq ${EXIT.locked} ] && exit ${EXIT.locked}
  if [ "\${1:-}" = init ] && grep -q "Is there a repository at the following location" /tmp/restic-open.err; then
    echo "creating the restic repository of $SIMULIUM_SITE"
    restic init >/dev/null || exit ${EXIT.repository}
    return 0
  fi
  cat /tmp/restic-open.err >&2
  echo "the restic repository of $SIMULIUM_SITE cannot be opened" >&2
  exit ${EXIT.repository}
}
`;

/**
 * One backup run: the database dump streamed into its own snapshot (restic 0.14 cannot put
 * a stdin stream and files in one), the volumes in a second, both tagged BACKUP_TAGS (a
 * comma list with the run's tag RUN_TAG), then `forget --prune` with the keep flags given as
 * arguments. A run whose dump or volumes fail leaves no snapshot behind: a half run must never
 * be what a restore of "latest" picks.
 */
export function backupScript(): string {
  return resticScript(`open_repository init
# discard_run MESSAGE CODE: removes what this run stored and exits CODE, EXIT.locked when the
# step gave up waiting for a lock, or EXIT.incomplete when its snapshots could not be removed.
discard_run() {
  discard_rc=$?
  echo "$1; removing the snapshots of this run" >&2
  # Its own allowance: a job that gave up waiting must still try to remove its half run.
  LOCK_WAIT_S=$((lock_waited + DISCARD_WAIT_S))
  # By id: restic 0.14's forget with only a tag applies a keep policy, and with none removes nothing.
  if ! restic snapshots --json --tag "$RUN_TAG" >/tmp/discard.json; then
    echo "the snapshots of this run could not be listed to be removed: $RUN_TAG may stay in the repository" >&2
    exit ${EXIT.incomplete}
  fi
  ids=$(snapshot_ids /tmp/discard.json)
  # Unquoted: one argument per id. restic warns and exits 0 for a snapshot it cannot load, so
  # the run is listed again; a list that fails then leaves the forget's word for it.
  if [ -z "$ids" ] || { restic forget $ids >&2 && ! { restic snapshots --json --tag "$RUN_TAG" >/tmp/discard.json && grep -q '"id":"' /tmp/discard.json; }; }; then
    [ "$discard_rc" -eq ${EXIT.locked} ] && exit ${EXIT.locked}
    exit "$2"
  fi
  echo "the snapshots of this run could not be removed: $RUN_TAG stays in the repository" >&2
  exit ${EXIT.incomplete}
}
if [ -n "\${DB_HOST:-}" ]; then
  # The dump is restic's stdin: refused for a lock, the whole dump is run again, but only once
  # a cheap command got the lock (so the database is dumped again only after a lost race).
  lock_start backup
  probe=""
  while :; do
    [ -z "$probe" ] || { restic_once cat config >/dev/null && probe=""; }
    if [ -z "$probe" ]; then
      rm -f /tmp/dump.status
      # sh has no pipefail: the dump's own exit status is kept in a file.
      { MYSQL_PWD="$(cat "$DB_ROOT_PASSWORD_FILE")" mariadb-dump --single-transaction --quick --routines --triggers --events \\
          -h "$DB_HOST" -u root "$DB_NAME" || echo "$?" >/tmp/dump.status; } \\
        | restic_once backup --host "$SIMULIUM_SITE" --tag "$BACKUP_TAGS" --stdin --stdin-filename database.sql && break
    fi
    lock_wait
    case $? in
      0) probe=1 ;;
      # Nothing of this run is stored yet.
      2) exit ${EXIT.locked} ;;
      *) discard_run "storing the database dump failed" ${EXIT.databaseDump} ;;
    esac
  done
  if [ -e /tmp/dump.status ]; then discard_run "the database dump failed (mariadb-dump exit $(cat /tmp/dump.status))" ${EXIT.databaseDump}; fi
fi
if [ -n "\${SITE_VOLUMES:-}" ]; then
  restic backup --host "$SIMULIUM_SITE" --tag "$BACKUP_TAGS" /data || discard_run "backing up the volumes failed" ${EXIT.volumes}
fi
echo "${MARK} snapshots"
restic snapshots --json --tag "$RUN_TAG"
echo
restic forget --host "$SIMULIUM_SITE" --tag "site:$SIMULIUM_SITE" --prune "$@" || exit ${EXIT.retention}
`);
}

/**
 * Every snapshot of the site as JSON; with the argument `sizes`, then the restore size of each
 * (restic 0.14 keeps no size in a snapshot). A size that cannot be read (a damaged tree) is
 * left out rather than failing the list: the list is how an operator finds what is left.
 */
export function listScript(): string {
  return resticScript(`open_repository
echo "${MARK} snapshots"
restic snapshots --json --tag "site:$SIMULIUM_SITE" >/tmp/snapshots.json || fail 1
cat /tmp/snapshots.json
echo
[ "\${1:-}" = sizes ] || exit 0
for id in $(snapshot_ids /tmp/snapshots.json); do
  echo "${MARK} stats $id"
  restic stats --json --mode restore-size "$id"
  case $? in
    0) ;;
    # The list itself is read: the sizes left are shown as unknown.
    ${EXIT.locked}) break ;;
    *) echo "size of $id unknown" >&2 ;;
  esac
  echo
done
`);
}

/**
 * Proves the snapshots given as arguments restore: `restic check` of the repository's
 * structure, then a restore of each into scratch space with --verify. restic authenticates
 * every blob it reads, so a corrupted pack fails here, before anything of the site changes.
 */
export function verifyScript(): string {
  return resticScript(`open_repository
restic check || fail ${EXIT.verify}
for id in "$@"; do
  restic restore "$id" --target "/tmp/verify/$id" --verify || fail ${EXIT.verify}
  # A dump cut short after restic stored the stream has no trailer; it must not be loaded.
  if [ -f "/tmp/verify/$id/database.sql" ] && ! tail -c 300 "/tmp/verify/$id/database.sql" | grep -q -e '-- Dump completed'; then
    echo "snapshot $id holds a database dump that did not complete (no '-- Dump completed' line at its end)" >&2
    exit ${EXIT.dumpIncomplete}
  fi
  rm -rf "/tmp/verify/$id"
done
echo "${MARK} verified"
`);
}

/**
 * Puts a run back: restores its snapshots (RESTORE_DB_SNAPSHOT, RESTORE_VOLUMES_SNAPSHOT;
 * either may be empty) into scratch space first, verified, and only then loads the dump with
 * the load-and-swap script (LOAD_SWAP_SCRIPT: staging schema, swapped in when complete) and
 * copies each volume back with rsync --delete, so files added since the backup go too.
 */
export function restoreScript(): string {
  return resticScript(`open_repository
if [ -n "\${RESTORE_DB_SNAPSHOT:-}" ]; then
  restic restore "$RESTORE_DB_SNAPSHOT" --target /tmp/restore/db --verify || fail ${EXIT.verify}
fi
if [ -n "\${RESTORE_VOLUMES_SNAPSHOT:-}" ]; then
  restic restore "$RESTORE_VOLUMES_SNAPSHOT" --target /tmp/restore/files --verify || fail ${EXIT.verify}
fi
if [ -n "\${RESTORE_DB_SNAPSHOT:-}" ]; then
  sh -c "$LOAD_SWAP_SCRIPT" load-swap /tmp/restore/db/database.sql
  rc=$?
  if [ "$rc" -eq ${LOAD_SWAP_EXIT.loadFailed} ] || [ "$rc" -eq ${LOAD_SWAP_EXIT.usage} ]; then exit ${EXIT.loadFailed}; fi
  if [ "$rc" -ne 0 ]; then exit ${EXIT.swapFailed}; fi
  echo "database restored"
fi
if [ -n "\${RESTORE_VOLUMES_SNAPSHOT:-}" ]; then
  for v in \${SITE_VOLUMES:-}; do
    if [ -d "/tmp/restore/files/data/$v" ]; then
      rsync -a --delete "/tmp/restore/files/data/$v/" "/data/$v/" || exit ${EXIT.rsync}
      echo "volume $v restored"
    else
      echo "volume $v is not in this backup: left as it is" >&2
    fi
  done
fi
`);
}

/** The periodic integrity check; arguments are extra flags (e.g. --read-data-subset=5%). */
export function checkScript(): string {
  return resticScript(`open_repository
restic check "$@"
`);
}

/**
 * A script body run after the prelude: the sealed environment exported and `open_repository`
 * defined. Every job script is one; exported for jobs beyond these (and for tests).
 */
export function resticScript(body: string): string {
  return `${PRELUDE}${body}`;
}

/** `forget` keep flags for a site's retention: keep-last always, the calendar rules when set. Pure. */
export function keepFlags(keep: { readonly keep: number; readonly keepDaily?: number; readonly keepWeekly?: number; readonly keepMonthly?: number }): string[] {
  const flags = ["--keep-last", String(keep.keep)];
  if (keep.keepDaily !== undefined) flags.push("--keep-daily", String(keep.keepDaily));
  if (keep.keepWeekly !== undefined) flags.push("--keep-weekly", String(keep.keepWeekly));
  if (keep.keepMonthly !== undefined) flags.push("--keep-monthly", String(keep.keepMonthly));
  return flags;
}
