/**
 * The awk program a dump streams through on its way into the staging schema. A dump made with
 * `--databases` or `--add-drop-database` names its database: `CREATE DATABASE`, `USE`,
 * `DROP DATABASE` and `ALTER DATABASE <name>` would load (or drop!) a schema other than staging.
 * The first three are left out, the last made to apply to the session's database; a dump of
 * several databases is refused, since merging them into one site would be wrong.
 *
 * Definers (`DEFINER=user@host` of views, triggers and routines) name users of the old server,
 * which do not exist here: a view whose definer is missing cannot even be dumped again. They
 * become CURRENT_USER (the loading user) in staging; the swap then gives them the site's user.
 *
 * Only lines that start a statement are looked at: mysqldump writes every statement from the
 * start of a line and escapes line breaks inside values, so a value never starts a line.
 * Expects `-v bq=<backtick>` (the program is embedded in single quotes in a shell script).
 */
export const DUMP_FILTER_AWK = String.raw`
function dbname(line,   i, s) {
  i = index(line, bq)
  if (i > 0) { s = substr(line, i + 1); return substr(s, 1, index(s, bq) - 1) }
  s = line; sub(/;.*$/, "", s); sub(/[ \t]*\*\/.*$/, "", s); sub(/^.*[ \t]/, "", s)
  return s
}
function seen(name) {
  if (name == "" || name in names) return
  names[name] = 1; count++; list = list (count > 1 ? ", " : "") name
  if (count > 1) {
    print "the dump holds more than one database (" list "): import a dump of one database (mariadb-dump DBNAME, without --databases or --all-databases)" > "/dev/stderr"
    exit 65
  }
}
BEGIN {
  sq = sprintf("%c", 39)
  definer_bq = "DEFINER=" bq "[^" bq "]*" bq "@" bq "[^" bq "]*" bq
  definer_sq = "DEFINER=" sq "[^" sq "]*" sq "@" sq "[^" sq "]*" sq
  definer_bare = "DEFINER=[A-Za-z0-9_.%$-]+@[A-Za-z0-9_.%$-]+"
}
{
  head = toupper(substr($0, 1, 96))
  sub(/^\/\*![0-9]+ */, "", head)
  if (head ~ /^(USE|CREATE[ \t]+(DATABASE|SCHEMA)|DROP[ \t]+(DATABASE|SCHEMA))([ \t;]|$)/ || index(head, "USE" bq) == 1) {
    # An empty line in its place keeps the line numbers in server errors true to the dump file.
    seen(dbname($0)); skipped++; print ""; next
  }
  if (head ~ /^ALTER[ \t]+(DATABASE|SCHEMA)[ \t]/) {
    i = index($0, bq)
    if (i > 0) {
      rest = substr($0, i + 1); j = index(rest, bq)
      seen(substr(rest, 1, j - 1))
      print substr($0, 1, i - 1) substr(rest, j + 1)
      next
    }
  }
  if (head !~ /^INSERT/ && index($0, "DEFINER=") > 0) {
    gsub(definer_bq, "DEFINER=CURRENT_USER"); gsub(definer_sq, "DEFINER=CURRENT_USER"); gsub(definer_bare, "DEFINER=CURRENT_USER")
  }
  print
}
END { if (skipped > 0) print "load-swap: left out " skipped " statements naming a database (the dump loads into staging)" > "/dev/stderr" }
`;
