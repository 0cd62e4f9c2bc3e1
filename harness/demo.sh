#!/usr/bin/env bash
# `npm run demo`: installs what is missing, makes a swarm engine and the local images the
# example manifests name ready, builds the CLI when dist/ is missing or older than the sources
# (both at once), and converges the example manifests repository onto the engine.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
# shellcheck source=lib.sh
source harness/lib.sh

repo="${SIMULIUM_DEMO_REPO:-sites.example}"
cli=dist/controller/cli/main.js

command -v node >/dev/null 2>&1 || die "node is not installed (the harness needs Node 20 or later to fetch Node 22 LTS)"
use_node_lts
bash harness/engine.sh
# Only the images the demo's manifests name, not every harness image.
mapfile -t roles < <(manifest_roles "$repo")
log "images for $repo: ${roles[*]}"

# The images build in the background (downloads and dpkg, several at once) while npm installs
# the dependencies and tsc builds the CLI here; the build's progress lines go to the terminal.
need_ci="" need_build=""
[ -d node_modules ] || need_ci=1
# Sources newer than the built CLI (or no CLI at all) mean a rebuild.
if [ -n "$need_ci" ] || [ ! -f "$cli" ] || [ -n "$(find controller schemas package.json tsconfig.json tsconfig.build.json -newer "$cli" -print -quit)" ]; then
  need_build=1
fi
[ -z "$need_ci" ] || log "installing npm dependencies (npm ci), while the images build"
[ -z "$need_build" ] || log "building the CLI (npm run build), while the images build"
images_pid=""
if [ "${#roles[@]}" -gt 0 ]; then
  bash harness/build-images.sh "${roles[@]}" >/dev/null &
  images_pid=$!
fi
# A failed npm step still waits for the build: nothing keeps writing to the terminal after exit.
npm_rc=0 images_rc=0
[ -z "$need_ci" ] || npm ci --no-audit --no-fund --loglevel=error >/dev/null || npm_rc=$?
[ "$npm_rc" != 0 ] || [ -z "$need_build" ] || npm run --silent build || npm_rc=$?
[ -z "$images_pid" ] || wait "$images_pid" || images_rc=$?
[ "$npm_rc" = 0 ] || die "npm ci or npm run build failed (above)"
[ "$images_rc" = 0 ] || die "building the images failed (above)"

varnish_port="$(sed -nE 's/^ +port: *([0-9]+).*/\1/p' "$repo/simulium.yaml" | head -n1)"
varnish_port="${varnish_port:-80}"
# HTTPS: the example orders its certificates from Pebble on loopback (harness/demo-pebble.sh).
# Without it the sites still answer over http (a site gets its redirect only once its
# certificate is served); the end of the output says why https is missing.
pebble_dir=/var/lib/simulium-harness/demo
https_missing=""
if grep -q 'directory: https://127.0.0.1:14000/dir' "$repo/simulium.yaml"; then
  log "starting the demo's ACME CA (Pebble on 127.0.0.1:14000, validating on Varnish's port $varnish_port)"
  https_missing="$(bash harness/demo-pebble.sh "$varnish_port" 2>&1 >/dev/null)" && https_missing=""
  https_missing="${https_missing#\[harness\] error: }"
else
  https_missing="$repo/simulium.yaml does not name the demo's Pebble (https://127.0.0.1:14000/dir) as its ACME directory"
fi

log "simulium apply --repo $repo --yes"
node "$cli" apply --repo "$repo" --yes
log "simulium status --repo $repo"
status_rc=0
node "$cli" status --repo "$repo" || status_rc=$?

# The daemon, for the dashboard: watches $repo (directory mode), serves /dashboard behind a
# token kept in .harness/demo/ (gitignored). A daemon of an earlier demo run is replaced.
demo_dir=.harness/demo
mkdir -p "$demo_dir"
listen="${SIMULIUM_DEMO_LISTEN:-127.0.0.1:9090}"
if [ ! -s "$demo_dir/api-token" ]; then
  (umask 077 && head -c 32 /dev/urandom | sha256sum | cut -c1-48 > "$demo_dir/api-token")
fi
if [ -s "$demo_dir/daemon.pid" ] && kill -0 "$(cat "$demo_dir/daemon.pid")" 2>/dev/null; then
  kill "$(cat "$demo_dir/daemon.pid")" && sleep 1
fi
setsid node "$cli" run --repo "$repo" --listen "$listen" --api-token-file "$demo_dir/api-token" \
  --state-dir "${SIMULIUM_STATE_DIR:-/var/lib/simulium}" > "$demo_dir/daemon.log" 2>&1 < /dev/null &
echo $! > "$demo_dir/daemon.pid"

mapfile -t domains < <(for f in "$repo"/sites/*.yaml; do
  sed -nE 's/^ +domains: *\[ *"?([^]," ]+).*/\1/p; /^ +domains: *$/{n;s/^ +- *"?([^" ]+).*/\1/p}' "$f" | head -n1
done)
tls_port="$(sed -nE '/^  tls:/,/^  [a-z]/{s/^    port: *([0-9]+).*/\1/p}' "$repo/simulium.yaml" | head -n1)"
tls_port="${tls_port:-443}"
https_get() {
  curl -fsS -o /dev/null --max-time 5 --cacert "$pebble_dir/pebble-root.pem" --resolve "$1:$tls_port:127.0.0.1" "https://$1:$tls_port/"
}
if [ -z "$https_missing" ] && [ "${#domains[@]}" -gt 0 ]; then
  # apply returns once hitch has the certificates; give its first start a few seconds.
  for _ in $(seq 1 30); do https_get "${domains[0]}" 2>/dev/null && break; sleep 1; done
  err="$(https_get "${domains[0]}" 2>&1)" || https_missing="https://${domains[0]}:$tls_port/ does not answer with the demo CA's certificate: $err (simulium status --repo $repo shows each site's TLS)"
fi
if [ -z "$https_missing" ]; then
  log "the sites over https, through hitch and Varnish, with certificates from the demo's Pebble"
  log "(--resolve stands in for DNS; --cacert trusts the demo CA only):"
  for d in "${domains[@]}"; do
    log "  curl --cacert $pebble_dir/pebble-root.pem --resolve $d:$tls_port:127.0.0.1 https://$d:$tls_port/"
  done
  log "plain http, through Varnish, answers 301 to https://<domain>:$tls_port/ (no DNS needed with curl's Host header):"
else
  log "no https in this demo: $https_missing"
  log "the sites, through Varnish over plain http (no DNS needed with curl's Host header):"
fi
for d in "${domains[@]}"; do log "  curl -H 'Host: $d' http://127.0.0.1:$varnish_port/"; done
log "dashboard: http://$listen/dashboard  (sign in with the token in $demo_dir/api-token;"
log "  daemon log: $demo_dir/daemon.log; stop it: kill \$(cat $demo_dir/daemon.pid))"
# A site that did not converge still fails the demo, after the URLs to look at it.
exit "$status_rc"
