#!/usr/bin/env bash
# `simulium plan` of the working tree against that of REV (default HEAD): the same bytes,
# text and --json, on the example and synthetic repositories (bench/plan-output.ts). No engine:
# a synthetic one on a unix socket answers the plan's reads.
#   bash harness/plan-output.sh [REV]
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
# shellcheck source=lib.sh
source harness/lib.sh
use_node_lts

rev="${1:-HEAD}"
out="$(mktemp -d /tmp/simulium-plan-output.XXXXXX)"
trap 'rm -rf "$out"' EXIT
mkdir -p "$out/rev-src"
git archive "$rev" | tar -x -C "$out/rev-src"
ln -s "$PWD/node_modules" "$out/rev-src/node_modules"
(cd "$out/rev-src" && npx tsc -p tsconfig.build.json --outDir "$out/rev")
npx tsc -p tsconfig.build.json --outDir "$out/tree"
npx tsc -p bench/tsconfig.json --outDir "$out/bench"
NODE_PATH="$PWD/node_modules" node "$out/bench/bench/plan-output.js" "$out/rev/controller/cli/main.js" "$out/tree/controller/cli/main.js"
