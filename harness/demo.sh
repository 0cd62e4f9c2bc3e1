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
bash harness/build-images.sh >/dev/null

# Sources newer than the built CLI (or no CLI at all) mean a rebuild.
if [ ! -f "$cli" ] || [ -n "$(find controller schemas package.json tsconfig.json tsconfig.build.json -newer "$cli" -print -quit)" ]; then
  log "building the CLI (npm run build)"
  npm run --silent build
fi

log "simulium apply --repo $repo --yes"
node "$cli" apply --repo "$repo" --yes
log "simulium status --repo $repo"
node "$cli" status --repo "$repo"
log "the example sites answer through Varnish, e.g.:"
log "  curl -H 'Host: brasserie.example.org' http://127.0.0.1:8080/"
