#!/usr/bin/env bash
# `npm test`: the real engine and local images first, then the type check, the schema-types
# freshness check, the unit tests, and the integration tests against the real swarm.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
# shellcheck source=lib.sh
source harness/lib.sh

step() { log "== $* =="; }
use_node_lts

if [ ! -d node_modules ]; then
  step "npm dependencies"
  npm ci --no-audit --no-fund
fi
step "engine"
bash harness/engine.sh
step "images"
bash harness/build-images.sh >/dev/null
step "typecheck"
npx tsc -p tsconfig.json --noEmit
step "schema types up to date"
node scripts/schema-types.mjs --check
step "unit tests"
npx jest --selectProjects unit
step "integration tests"
# The engine and images are ready; jest's globalSetup need not run the scripts again.
SIMULIUM_HARNESS_READY=1 npx jest --selectProjects integration --runInBand
