#!/usr/bin/env bash
# `npm run demo`: makes the engine and images ready, builds the CLI when dist/ is missing or
# older than the sources, then runs the most complete demo command the CLI registers against
# the example manifests repository.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
# shellcheck source=lib.sh
source harness/lib.sh

repo="${SIMULIUM_DEMO_REPO:-sites.example}"
cli=dist/controller/cli/main.js

# Preferred first: the first one whose command the CLI registers is run.
demo_steps=(
  "apply --repo $repo --yes"
  "plan --repo $repo"
  "validate --repo $repo"
)

command -v node >/dev/null 2>&1 || die "node is not installed (simulium needs Node 20 or later)"
[ -d node_modules ] || die "node_modules is missing; run npm ci first"

bash harness/engine.sh
bash harness/build-images.sh >/dev/null

# Sources newer than the built CLI (or no CLI at all) mean a rebuild.
if [ ! -f "$cli" ] || [ -n "$(find controller schemas package.json tsconfig.json tsconfig.build.json -newer "$cli" -print -quit)" ]; then
  log "building the CLI (npm run build)"
  npm run --silent build
fi

# Command names sit two spaces in; wrapped descriptions are indented further.
registered="$(node "$cli" --help | awk '/^Commands:/ {on=1; next} on && /^  [a-z]/ {print $1}')"
for demo in "${demo_steps[@]}"; do
  command="${demo%% *}"
  if grep -qx "$command" <<<"$registered"; then
    log "running: simulium $demo"
    # shellcheck disable=SC2086 # each step is a word list
    exec node "$cli" $demo
  fi
done
die "the CLI registers none of the demo commands (${demo_steps[*]%% *}); registered: $(echo $registered)"
