import { DUMP_FILTER_AWK } from "./dump-filter";

/** Exit codes of the load-and-swap script. */
export const LOAD_SWAP_EXIT = {
  /** The dump is live; the tables it replaced are in `<db>__previous`. */
  swapped: 0,
  /** Missing environment, unreadable password file or dump path not given: nothing was touched. */
  usage: 2,
  /** The dump did not load (or the database could not be reached): live untouched, staging dropped. */
  loadFailed: 3,
  /** The swap failed; the script's last message says exactly which state is left. */
  swapFailed: 4,
} as const;

export const STAGING_SUFFIX = "__incoming";
export const PREVIOUS_SUFFIX = "__previous";
/** Schema names are at most 64 characters; the longest suffix must still fit. */
export const MAX_DB_NAME_LENGTH = 64 - STAGING_SUFFIX.length;

/**
 * A POSIX sh script (dash; MariaDB client 10.11, gzip) run as `sh -c SCRIPT load-swap DUMPFILE`
 * with DB_HOST, DB_NAME, DB_ROOT_PASSWORD_FILE (and optionally DB_PORT, DB_USER, and
 * LOCK_WAIT_SECONDS, how long the swap waits for sessions using the live tables, default 60)
 * in the environment. It loads the dump (gunzipped when the name ends in .gz) into a fresh schema
 * `<db>__incoming` and, only when all of it loaded, swaps it in place of `<db>` with one
 * RENAME TABLE statement, keeping the replaced tables in `<db>__previous`.
 *
 * RENAME TABLE cannot move a table with triggers to another schema, and views and routines do
 * not move at all: they are dumped from staging (mariadb-dump, which records each object's
 * sql_mode and character set), dropped there, and re-created in the live schema after the
 * rename; the live schema's own are moved to `<db>__previous` the same way. The dump's definers
 * (users of the old server, which do not exist here) become the loading user in staging and
 * DB_USER in the live schema when it is set (root otherwise), so objects run with the site's
 * rights. The root password goes to the client in a 0600 option file, never
 * on a command line. The site user's grants name the live schema, so they hold after the swap.
 */
export function loadAndSwapScript(): string {
  const x = LOAD_SWAP_EXIT;
  return String.raw`say() { printf 'load-swap: %s\n' "$*" >&2; }
fail() { code=$1; shift; say "$*"; exit "$code"; }
bq=$(printf '\140')

[ "$#" -ge 1 ] && [ -n "$1" ] || fail ${x.usage} "usage: load-swap DUMPFILE (with DB_HOST, DB_NAME, DB_ROOT_PASSWORD_FILE set)"
dump=$1
for v in DB_HOST DB_NAME DB_ROOT_PASSWORD_FILE; do
  eval "val=\${$v-}"
  [ -n "$val" ] || fail ${x.usage} "$v is not set"
done
case $DB_NAME in [a-z]*) ;; *) fail ${x.usage} "DB_NAME must start with a lower-case letter: $DB_NAME" ;; esac
case $DB_NAME in *[!a-z0-9_]*) fail ${x.usage} "DB_NAME may hold only a-z, 0-9 and _: $DB_NAME" ;; esac
[ "$(printf %s "$DB_NAME" | wc -c)" -le ${MAX_DB_NAME_LENGTH} ] || fail ${x.usage} "DB_NAME is longer than ${MAX_DB_NAME_LENGTH} characters"
definer=
if [ -n "$DB_USER" ]; then
  case $DB_USER in *[!a-z0-9_]*) fail ${x.usage} "DB_USER may hold only a-z, 0-9 and _" ;; esac
  definer="$bq$DB_USER$bq@$bq%$bq"
fi
lock_wait=$LOCK_WAIT_SECONDS
[ -n "$lock_wait" ] || lock_wait=60
case $lock_wait in *[!0-9]*) fail ${x.usage} "LOCK_WAIT_SECONDS must be a number of seconds" ;; esac
[ -r "$dump" ] || fail ${x.loadFailed} "cannot read the dump $dump"

live=$DB_NAME
incoming="$DB_NAME"${STAGING_SUFFIX}
previous="$DB_NAME"${PREVIOUS_SUFFIX}
ql="$bq$live$bq" qi="$bq$incoming$bq" qp="$bq$previous$bq"

umask 077
work=$(mktemp -d) || fail ${x.usage} "cannot make a temporary directory"
trap 'rm -rf "$work"' EXIT
trap 'exit 130' INT TERM HUP
pw=$(cat "$DB_ROOT_PASSWORD_FILE") || fail ${x.usage} "cannot read DB_ROOT_PASSWORD_FILE"
cnf=$work/client.cnf
# Quoted option value: the client strips the quotes and reads \\ and \" as escapes.
{
  printf '[client]\nuser=root\nhost=%s\n' "$DB_HOST"
  [ -z "$DB_PORT" ] || printf 'port=%s\n' "$DB_PORT"
  printf 'password="'
  printf '%s' "$pw" | sed 's/\\/\\\\/g; s/"/\\"/g' | tr -d '\n'
  printf '"\n'
  # Only the mariadb client reads [mysql] (mariadb-dump would refuse the option): a session
  # still holding a live table (a cron job) makes a drop or the swap fail, not wait for hours.
  printf '[mysql]\ninit-command="SET SESSION lock_wait_timeout = %s"\n' "$lock_wait"
} >"$cnf"
unset pw

# errmsg FILE: a client's error output as one line: its ERROR lines (the client may also echo
# the failed statement, which for the rename is every table name), else its last lines.
errmsg() {
  if grep -q '^ERROR' "$1"; then grep '^ERROR' "$1" | tail -n 2; else grep -v '^-*$' "$1" | tail -n 3; fi | tr '\n' ' ' | sed 's/ *$//'
}

db() { mariadb --defaults-extra-file="$cnf" --protocol=tcp "$@"; }
q() { db --batch --skip-column-names --raw -e "$1"; }
dumpobj() { mariadb-dump --defaults-extra-file="$cnf" --protocol=tcp --skip-comments --skip-lock-tables --skip-add-locks --no-data "$@"; }

tries=0
until q 'SELECT 1' >/dev/null 2>"$work/ping.err"; do
  tries=$((tries + 1))
  [ "$tries" -lt 30 ] || fail ${x.loadFailed} "cannot reach the database server at $DB_HOST: $(errmsg "$work/ping.err"); nothing was changed"
  sleep 1
done

# capture SCHEMA FILE: the schema's routines, triggers and views as SQL that re-creates them in
# whichever schema it is loaded into (mariadb-dump writes object names unqualified).
capture() {
  : >"$2"
  if [ -n "$(q "SELECT 1 FROM information_schema.ROUTINES WHERE ROUTINE_SCHEMA='$1' UNION ALL SELECT 1 FROM information_schema.TRIGGERS WHERE TRIGGER_SCHEMA='$1' LIMIT 1")" ]; then
    dumpobj --no-create-info --no-create-db --triggers --routines "$1" >>"$2" || return 1
  fi
  views=$(q "SELECT TABLE_NAME FROM information_schema.VIEWS WHERE TABLE_SCHEMA='$1' ORDER BY TABLE_NAME") || return 1
  if [ -n "$views" ]; then
    # Word splitting on new lines only: a view name may hold spaces.
    old_ifs=$IFS; IFS='
'
    # shellcheck disable=SC2086
    dumpobj --skip-triggers "$1" $views >>"$2" || { IFS=$old_ifs; return 1; }
    IFS=$old_ifs
  fi
  if [ -n "$definer" ]; then
    sed "s/DEFINER=$bq[^$bq]*$bq@$bq[^$bq]*$bq/DEFINER=$definer/g" "$2" >"$2.tmp" && mv "$2.tmp" "$2"
  fi
}

# drop_objects SCHEMA WHAT: drop the schema's triggers and views (WHAT=moving) or also its
# routines (WHAT=all).
drop_objects() {
  routines=
  [ "$2" = all ] && routines="UNION ALL SELECT CONCAT('DROP ', ROUTINE_TYPE, ' $bq$1$bq.', @q, REPLACE(ROUTINE_NAME, @q, CONCAT(@q, @q)), @q, ';') FROM information_schema.ROUTINES WHERE ROUTINE_SCHEMA='$1'"
  q "SET @q = CHAR(96); SELECT CONCAT('DROP TRIGGER $bq$1$bq.', @q, REPLACE(TRIGGER_NAME, @q, CONCAT(@q, @q)), @q, ';') FROM information_schema.TRIGGERS WHERE TRIGGER_SCHEMA='$1' UNION ALL SELECT CONCAT('DROP VIEW $bq$1$bq.', @q, REPLACE(TABLE_NAME, @q, CONCAT(@q, @q)), @q, ';') FROM information_schema.VIEWS WHERE TABLE_SCHEMA='$1' $routines" >"$work/drop.sql" \
    && db <"$work/drop.sql"
}

# objects_of SCHEMA: its triggers, views and routines, one per line, to say what a failure left.
objects_of() {
  q "SELECT CONCAT('trigger ', TRIGGER_NAME) FROM information_schema.TRIGGERS WHERE TRIGGER_SCHEMA='$1' UNION ALL SELECT CONCAT('view ', TABLE_NAME) FROM information_schema.VIEWS WHERE TABLE_SCHEMA='$1' UNION ALL SELECT CONCAT(LOWER(ROUTINE_TYPE), ' ', ROUTINE_NAME) FROM information_schema.ROUTINES WHERE ROUTINE_SCHEMA='$1' ORDER BY 1"
}

# restore_live: re-creates what was dropped from the live schema (what is still there stays);
# prints the outcome for the failure message.
restore_live() {
  db --force "$live" <"$work/live-objects.sql" >/dev/null 2>&1
  now=$(objects_of "$live")
  if [ "$now" = "$live_objects" ]; then
    echo "are in place"
  else
    echo "could NOT all be re-created (before: $(printf '%s' "$live_objects" | tr '\n' ','); now: $(printf '%s' "$now" | tr '\n' ','))"
  fi
}

drop_staging() { q "DROP DATABASE IF EXISTS $qi" 2>/dev/null; }

# ---- load into staging ----------------------------------------------------------------------
# The server's entrypoint makes the live schema; one dropped by hand is made again (empty).
q "CREATE DATABASE IF NOT EXISTS $ql" 2>"$work/stage.err" \
  || fail ${x.loadFailed} "cannot reach the live schema $live: $(errmsg "$work/stage.err"); nothing was changed"
charset=$(q "SELECT CONCAT('CHARACTER SET ', DEFAULT_CHARACTER_SET_NAME, ' COLLATE ', DEFAULT_COLLATION_NAME) FROM information_schema.SCHEMATA WHERE SCHEMA_NAME='$live'") \
  || fail ${x.loadFailed} "cannot read the live schema $live; nothing was changed"
q "DROP DATABASE IF EXISTS $qi; CREATE DATABASE $qi $charset" 2>"$work/stage.err" \
  || fail ${x.loadFailed} "cannot create the staging schema $incoming: $(errmsg "$work/stage.err"); the live database is untouched"

case $dump in *.gz) reader='gzip -dc' ;; *) reader=cat ;; esac
say "loading $dump into $incoming"
{ $reader "$dump" 2>"$work/read.err" || echo $? >"$work/read.rc"; } \
  | { awk -v bq="$bq" '${DUMP_FILTER_AWK}' 2>"$work/filter.err" || echo $? >"$work/filter.rc"; } \
  | db --binary-mode --max-allowed-packet=1G "$incoming" 2>"$work/load.err"
load_rc=$?

# In a pipeline a failing stage makes the ones before it die of SIGPIPE (141): the first
# failure that is not a SIGPIPE is the cause.
rc_of() { [ -e "$work/$1.rc" ] && cat "$work/$1.rc"; }
why=
if [ "$(rc_of filter)" = 65 ]; then why=$(grep -v '^load-swap:' "$work/filter.err" | tail -n 1)
elif [ -n "$(rc_of read)" ] && [ "$(rc_of read)" != 141 ]; then why="cannot read $dump: $(errmsg "$work/read.err")"
elif [ "$load_rc" -ne 0 ]; then why="the dump failed to load: $(errmsg "$work/load.err")"
elif [ -n "$(rc_of filter)" ]; then why="filtering the dump failed: $(errmsg "$work/filter.err")"
fi
grep '^load-swap:' "$work/filter.err" >&2
if [ -z "$why" ] && [ -z "$(q "SELECT 1 FROM information_schema.TABLES WHERE TABLE_SCHEMA='$incoming' AND TABLE_TYPE <> 'VIEW' LIMIT 1")" ]; then
  why="the dump created no tables: is it a dump of the site's database?"
fi
if [ -n "$why" ]; then
  drop_staging
  fail ${x.loadFailed} "$why; the live database $live is untouched, the staging schema $incoming was dropped"
fi
say "loaded; swapping $incoming in place of $live"

# ---- swap --------------------------------------------------------------------------------------
capture "$incoming" "$work/incoming-objects.sql" 2>"$work/err" && drop_objects "$incoming" moving 2>>"$work/err" || {
  drop_staging
  fail ${x.swapFailed} "cannot set aside the new triggers, views and routines: $(errmsg "$work/err"); the live database $live is untouched, the staging schema $incoming was dropped"
}
capture "$live" "$work/live-objects.sql" 2>"$work/err" || {
  drop_staging
  fail ${x.swapFailed} "cannot read the live triggers, views and routines: $(errmsg "$work/err"); the live database $live is untouched, the staging schema $incoming was dropped"
}
live_objects=$(objects_of "$live")
drop_objects "$live" all 2>"$work/err" || {
  state=$(restore_live)
  drop_staging
  fail ${x.swapFailed} "cannot drop the live triggers, views and routines before the rename: $(errmsg "$work/err"); the live tables are untouched, their triggers, views and routines $state; the staging schema $incoming was dropped"
}
q "DROP DATABASE IF EXISTS $qp; CREATE DATABASE $qp $charset" 2>"$work/err" || {
  state=$(restore_live)
  drop_staging
  fail ${x.swapFailed} "cannot make $previous afresh: $(errmsg "$work/err"); the live tables are untouched, their triggers, views and routines $state; the staging schema $incoming was dropped"
}

q "SET SESSION group_concat_max_len = 4294967295; SET @q = CHAR(96);
SELECT CONCAT('RENAME TABLE ', GROUP_CONCAT(m ORDER BY o, n SEPARATOR ', '), ';') FROM (
  SELECT 1 AS o, TABLE_NAME AS n, CONCAT('$ql.', @q, REPLACE(TABLE_NAME, @q, CONCAT(@q, @q)), @q, ' TO $qp.', @q, REPLACE(TABLE_NAME, @q, CONCAT(@q, @q)), @q) AS m
    FROM information_schema.TABLES WHERE TABLE_SCHEMA='$live' AND TABLE_TYPE <> 'VIEW'
  UNION ALL
  SELECT 2, TABLE_NAME, CONCAT('$qi.', @q, REPLACE(TABLE_NAME, @q, CONCAT(@q, @q)), @q, ' TO $ql.', @q, REPLACE(TABLE_NAME, @q, CONCAT(@q, @q)), @q)
    FROM information_schema.TABLES WHERE TABLE_SCHEMA='$incoming' AND TABLE_TYPE <> 'VIEW'
) moves" >"$work/rename.sql" 2>"$work/err" && {
  { echo "SET SESSION foreign_key_checks = 0;"; cat "$work/rename.sql"; } | db 2>"$work/err"
} || {
  state=$(restore_live)
  drop_staging
  fail ${x.swapFailed} "the rename failed: $(errmsg "$work/err"); nothing was swapped: the live tables of $live are as they were and their triggers, views and routines $state; the staging schema $incoming was dropped, $previous is empty"
}

# --force: one object that does not re-create must not keep the others out.
db --force "$live" <"$work/incoming-objects.sql" 2>"$work/err" || {
  drop_staging
  fail ${x.swapFailed} "the new tables are live in $live and the replaced ones in $previous, but some of the dump's triggers, views and routines could not be re-created in $live: $(errmsg "$work/err") (the others are in place); the staging schema $incoming was dropped"
}
db "$previous" <"$work/live-objects.sql" 2>"$work/err" \
  || say "warning: the replaced triggers, views and routines could not be re-created in $previous: $(errmsg "$work/err")"
drop_staging
say "swapped: $live holds the dump; the tables it replaced are in $previous"
exit ${x.swapped}
`;
}
