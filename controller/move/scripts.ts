/**
 * The two jobs of a move's copy, in the tools image (POSIX sh, rsync): a receiver on the new
 * node runs an rsync daemon on the site's network, writable into the new node's volumes; a
 * sender on the old node pushes the old volumes to it with rsync (exact: ownership by number,
 * hard links, sparse files, deletions), then both print a digest of every file they hold. The
 * site's services are stopped meanwhile, so the files do not change under the copy. Rsync
 * copies only what differs, so a move run again after an interruption finishes quickly. Pure.
 */

/** Where both jobs mount the site's volumes: `/move/<volume name>`. */
export const MOVE_ROOT = "/move";
/** The receiver's rsync daemon, on the site's network only. */
export const MOVE_PORT = 8730;
/** The line each job prints last: `<marker> files=<n> sha256=<digest of the sorted list of the files' SHA-256>`. */
export const MANIFEST_MARKER = "simulium-move-manifest";

/**
 * A shell function `manifest`: every entry under `root` with its type, mode, owner and (for a
 * symbolic link) its target, then every regular file's SHA-256, as one digest and a count of the
 * regular files on the marker line (a large files volume would flood the job's log). A copy that
 * loses a link, a mode or an owner differs as surely as one that changes a byte.
 */
export function manifestFunction(root: string): string {
  return `manifest() {
  cd "${root}"
  m="\${TMPDIR:-/tmp}/move.manifest"
  { find . -mindepth 1 -printf '%y %m %U:%G %p -> %l\\n' | LC_ALL=C sort; find . -type f -print0 | LC_ALL=C sort -z | xargs -0 -r sha256sum; } > "$m"
  echo "${MANIFEST_MARKER} files=$(find . -type f | wc -l | tr -d ' ') sha256=$(sha256sum < "$m" | cut -d' ' -f1)"
}`;
}
const MANIFEST = manifestFunction(MOVE_ROOT);

/**
 * The receiver: the daemon (authenticated by the move's one-off token, MOVE_TOKEN) until the
 * sender has pushed `done` to its control module, then the manifest. It gives up when no sender
 * has connected within MOVE_IDLE_SECONDS (the sender could not start).
 */
export function receiverScript(): string {
  return `set -eu
${MANIFEST}
umask 077
mkdir -p /tmp/ctl
printf 'move:%s\\n' "$MOVE_TOKEN" > /tmp/rsyncd.secrets
cat > /tmp/rsyncd.conf <<CONF
port = ${MOVE_PORT}
use chroot = yes
munge symlinks = no
uid = 0
gid = 0
numeric ids = yes
pid file = /tmp/rsyncd.pid
auth users = move
secrets file = /tmp/rsyncd.secrets
[data]
path = ${MOVE_ROOT}
read only = no
[ctl]
path = /tmp/ctl
read only = no
CONF
rsync --daemon --no-detach --config=/tmp/rsyncd.conf &
daemon=$!
waited=0
while [ ! -f /tmp/ctl/done ]; do
  kill -0 "$daemon" 2>/dev/null || { echo "the rsync daemon stopped" >&2; exit 3; }
  if [ ! -f /tmp/ctl/started ]; then
    waited=$((waited + 1))
    [ "$waited" -le "\${MOVE_IDLE_SECONDS:-300}" ] || { echo "no sender connected within \${MOVE_IDLE_SECONDS:-300} s" >&2; kill "$daemon"; exit 4; }
  fi
  [ ! -f /tmp/ctl/failed ] || { echo "the sender failed" >&2; kill "$daemon"; exit 5; }
  sleep 1
done
kill "$daemon"
wait "$daemon" 2>/dev/null || true
manifest
`;
}

/**
 * The sender: waits for the receiver (MOVE_RECEIVER, its service name on the site's network),
 * pushes every volume, then prints its manifest and tells the receiver it is done.
 */
export function senderScript(): string {
  return `set -eu
${MANIFEST}
export RSYNC_PASSWORD="$MOVE_TOKEN"
url="rsync://move@$MOVE_RECEIVER:${MOVE_PORT}"
tries=0
until rsync "$url/ctl/" >/dev/null 2>&1; do
  tries=$((tries + 1))
  [ "$tries" -le 120 ] || { echo "the receiving job on the new node does not answer at $MOVE_RECEIVER:${MOVE_PORT}" >&2; exit 4; }
  sleep 1
done
mkdir -p /tmp/flags && : > /tmp/flags/started && : > /tmp/flags/done && : > /tmp/flags/failed
rsync /tmp/flags/started "$url/ctl/started"
if ! rsync -aHS --numeric-ids --delete --stats "${MOVE_ROOT}/" "$url/data/"; then
  rsync /tmp/flags/failed "$url/ctl/failed" || true
  exit 6
fi
manifest
rsync /tmp/flags/done "$url/ctl/done"
`;
}

export interface MoveManifest {
  readonly files: number;
  readonly sha256: string;
}

/** The manifest line a job printed last, or null when it printed none (it failed before). */
export function parseManifest(output: string): MoveManifest | null {
  const lines = [...output.matchAll(new RegExp(`^${MANIFEST_MARKER} files=(\\d+) sha256=([0-9a-f]{64})\\s*$`, "gm"))];
  const last = lines[lines.length - 1];
  return last ? { files: Number(last[1]), sha256: last[2]! } : null;
}

/** null when both nodes hold the same files with the same contents, else what differs. */
export function manifestMismatch(sent: MoveManifest | null, received: MoveManifest | null): string | null {
  if (sent === null) return "the sending job printed no manifest of its files";
  if (received === null) return "the receiving job printed no manifest of its files";
  if (sent.files !== received.files) return `the old node has ${sent.files} file(s), the new node ${received.files}`;
  if (sent.sha256 !== received.sha256) return `the ${sent.files} file(s) differ between the old and the new node (SHA-256 of the list ${sent.sha256.slice(0, 12)} ≠ ${received.sha256.slice(0, 12)})`;
  return null;
}
