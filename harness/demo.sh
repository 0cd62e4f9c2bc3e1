#!/usr/bin/env bash
# `npm run demo`: installs what is missing, makes a swarm engine and the local images ready,
# builds the CLI when dist/ is missing or older than the sources, and converges the example
# manifests repository onto the engine.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
# shellcheck source=lib.sh
source harness/lib.sh

repo="${SIMULIUM_DEMO_REPO:-sites.example}"
cli=dist/controller/cli/main.js

command -v node >/dev/null 2>&1 || die "node is not installed (the harness needs Node 20 or later to fetch Node 22 LTS)"
use_node_lts
if [ ! -d node_modules ]; then
  log "installing npm dependencies (npm ci)"
  npm ci --no-audit --no-fund
fi

bash harness/engine.sh
# Only the images the demo's manifests name (simulium/<role>:local), not every harness image.
mapfile -t roles < <(grep -rhoE 'simulium/[a-z0-9-]+:local' "$repo" | sed -E 's|simulium/([a-z0-9-]+):local|\1|' | sort -u |
  while read -r role; do [ -d "harness/images/$role" ] && echo "$role"; done)
log "images for $repo: ${roles[*]}"
bash harness/build-images.sh "${roles[@]}" >/dev/null

# Sources newer than the built CLI (or no CLI at all) mean a rebuild.
if [ ! -f "$cli" ] || [ -n "$(find controller schemas package.json tsconfig.json tsconfig.build.json -newer "$cli" -print -quit)" ]; then
  log "building the CLI (npm run build)"
  npm run --silent build
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

varnish_port="$(sed -nE 's/^ +port: *([0-9]+).*/\1/p' "$repo/simulium.yaml" | head -n1)"
log "the sites, through Varnish (no DNS needed with curl's Host header):"
for f in "$repo"/sites/*.yaml; do
  domain="$(sed -nE 's/^ +domains: *\[ *"?([^]," ]+).*/\1/p; /^ +domains: *$/{n;s/^ +- *"?([^" ]+).*/\1/p}' "$f" | head -n1)"
  [ -n "$domain" ] && log "  curl -H 'Host: $domain' http://127.0.0.1:${varnish_port:-8080}/"
done
log "dashboard: http://$listen/dashboard  (sign in with the token in $demo_dir/api-token;"
log "  daemon log: $demo_dir/daemon.log; stop it: kill \$(cat $demo_dir/daemon.pid))"
# A site that did not converge still fails the demo, after the URLs to look at it.
exit "$status_rc"
