import { LOAD_SWAP_EXIT } from "../database/load-swap";
import { TOOLS_DATA_ROOT } from "../jobs/tools-job";

/** Where the CLI uploads into the job's container, and the names it uses there. */
export const UPLOAD = {
  /** The parent the engine's archive API extracts into; it exists in every image. */
  parent: "/tmp",
  dir: "import",
  loadSwap: "load-swap.sh",
  dumpSql: "db.sql",
  dumpGz: "db.sql.gz",
  filesTar: "files.tar",
  filesDir: "files",
  /** Uploaded last: the job starts only once everything else is in place. */
  ready: ".ready",
} as const;

/** Inside the volume, out of the web's reach (root, 0700) while they exist. */
export const STAGING_DIR = ".simulium-incoming";
export const PREVIOUS_DIR = ".simulium-previous";
export const WWW_DATA_UID = 33;

/** Exit codes of the import job: load-swap's own (0, 3, 4) and those of the files part. */
export const IMPORT_EXIT = {
  ...LOAD_SWAP_EXIT,
  /** The files could not be unpacked into staging: nothing was changed. */
  filesFailed: 5,
  /** Moving the unpacked files in place failed; the message says what the volume holds. */
  filesSwapFailed: 6,
  /** Nothing was uploaded in time: nothing was changed. */
  noUpload: 7,
} as const;

export interface ImportJobEnv {
  /** The volume (its name in spec.volumes) the files go into, when files are imported. */
  readonly IMPORT_VOLUME?: string;
  readonly UPLOAD_WAIT_SECONDS: string;
}

/**
 * The job's script (POSIX sh, tools image). It waits for the upload, unpacks the files into a
 * staging directory in the volume (a bad archive stops here, nothing changed), loads and swaps
 * the database with the load-swap script, then moves the staged files in place of the old
 * ones. Files end up owned by www-data, as the web writes them. Run as
 * `sh -c SCRIPT import` with the tools job's environment plus ImportJobEnv.
 */
export function importJobScript(): string {
  const x = IMPORT_EXIT;
  const dir = `${UPLOAD.parent}/${UPLOAD.dir}`;
  return String.raw`say() { printf 'import: %s\n' "$*"; }
fail() { code=$1; shift; say "$*"; exit "$code"; }
dir=${dir}

say "waiting for the upload"
waited=0
until [ -e "$dir/${UPLOAD.ready}" ]; do
  waited=$((waited + 1))
  [ "$waited" -le "$UPLOAD_WAIT_SECONDS" ] || fail ${x.noUpload} "nothing was uploaded within $UPLOAD_WAIT_SECONDS s; nothing was changed"
  sleep 1
done

dump=
[ -f "$dir/${UPLOAD.dumpSql}" ] && dump=$dir/${UPLOAD.dumpSql}
[ -f "$dir/${UPLOAD.dumpGz}" ] && dump=$dir/${UPLOAD.dumpGz}

vol= stage= prev=
if [ -n "$IMPORT_VOLUME" ]; then
  vol=${TOOLS_DATA_ROOT}/$IMPORT_VOLUME
  stage=$vol/${STAGING_DIR}
  prev=$vol/${PREVIOUS_DIR}
  [ -d "$vol" ] || fail ${x.filesFailed} "the volume $IMPORT_VOLUME is not mounted at $vol; nothing was changed"
  rm -rf "$stage" && mkdir -m 700 "$stage" || fail ${x.filesFailed} "cannot make $stage; nothing was changed"
  if [ -f "$dir/${UPLOAD.filesTar}" ]; then
    say "unpacking the files archive into $IMPORT_VOLUME (staging)"
    # tar recognises gzip by itself; --no-same-owner: the archive's owners mean nothing here.
    tar -x -f "$dir/${UPLOAD.filesTar}" -C "$stage" --no-same-owner >"$dir/tar.err" 2>&1 || {
      rm -rf "$stage"
      fail ${x.filesFailed} "the files archive cannot be unpacked: $(tail -n 3 "$dir/tar.err" | tr '\n' ' ')- nothing was changed (database and files are as they were)"
    }
  else
    say "copying the files directory into $IMPORT_VOLUME (staging)"
    rsync -a "$dir/${UPLOAD.filesDir}/" "$stage/" >"$dir/rsync.err" 2>&1 || {
      rm -rf "$stage"
      fail ${x.filesFailed} "the files cannot be copied: $(tail -n 3 "$dir/rsync.err" | tr '\n' ' ')- nothing was changed (database and files are as they were)"
    }
  fi
  chown -R ${WWW_DATA_UID}:${WWW_DATA_UID} "$stage" && chmod 700 "$stage" || {
    rm -rf "$stage"
    fail ${x.filesFailed} "cannot give the files to www-data; nothing was changed"
  }
fi

if [ -n "$dump" ]; then
  sh -c "$(cat "$dir/${UPLOAD.loadSwap}")" load-swap "$dump" 2>&1
  rc=$?
  if [ "$rc" -ne 0 ]; then
    [ -z "$stage" ] || rm -rf "$stage"
    [ -z "$vol" ] && fail "$rc" "the database import failed (the state is the line above)"
    fail "$rc" "the database import failed (the state is the line above); the files of $IMPORT_VOLUME are as they were"
  fi
fi

[ -n "$vol" ] || { say "done"; exit ${x.swapped}; }
done_db=
[ -z "$dump" ] || done_db="the database was swapped in; "
rm -rf "$prev" && mkdir -m 700 "$prev" || { rm -rf "$stage"; fail ${x.filesSwapFailed} "cannot make $prev: $done_db the files of $IMPORT_VOLUME are as they were"; }
# Every entry of the volume root, dot files included, but the two working directories.
for f in "$vol"/* "$vol"/.[!.]* "$vol"/..?*; do
  [ -e "$f" ] || [ -h "$f" ] || continue
  case $f in "$stage" | "$prev") continue ;; esac
  mv "$f" "$prev/" 2>"$dir/mv.err" && continue
  for g in "$prev"/* "$prev"/.[!.]* "$prev"/..?*; do [ -e "$g" ] || [ -h "$g" ] || continue; mv "$g" "$vol/"; done
  rm -rf "$stage"; rmdir "$prev" 2>/dev/null
  fail ${x.filesSwapFailed} "cannot move $f aside: $(cat "$dir/mv.err"); $done_db the files of $IMPORT_VOLUME are as they were"
done
for f in "$stage"/* "$stage"/.[!.]* "$stage"/..?*; do
  [ -e "$f" ] || [ -h "$f" ] || continue
  mv "$f" "$vol/" 2>"$dir/mv.err" && continue
  fail ${x.filesSwapFailed} "cannot move $f in place: $(cat "$dir/mv.err"); $done_db $IMPORT_VOLUME holds part of the new files, the rest is in $stage, the replaced files are in $prev"
done
rmdir "$stage"
rm -rf "$prev"
chown ${WWW_DATA_UID}:${WWW_DATA_UID} "$vol"
say "done: the files of $IMPORT_VOLUME were replaced"
exit ${x.swapped}
`;
}
