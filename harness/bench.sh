#!/usr/bin/env bash
# `npm run bench`: engine and local images first, then the TypeScript bench compiled to a
# temporary directory with the CLI (the daemon of figure 5; node resolves packages through
# NODE_PATH) and run with plain node.
# Sizes: BENCH_SIZES=10,50,100 BENCH_PLAN_SIZES=10,100,1000,10000 BENCH_ROUTING_SIZES=100,1000 BENCH_TIMEOUT_S=600.
# BENCH_REST_SIZES=10,100,1000. BENCH_TLS_SAMPLES=5. BENCH_ONLY=routing (or planning, rest, tls): that figure alone, merged into bench/results/latest.json.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
# shellcheck source=lib.sh
source harness/lib.sh
use_node_lts

out="$(mktemp -d /tmp/simulium-bench-build.XXXXXX)"
trap 'rm -rf "$out"' EXIT
# `bench.sh chart` (npm run bench:chart): only the growth chart, from bench/results/latest.json.
if [ "${1:-}" = chart ]; then
  npx tsc -p bench/tsconfig.json --outDir "$out"
  node "$out/bench/chart.js"
  exit 0
fi
bash harness/engine.sh
bash harness/build-images.sh >/dev/null
npx tsc -p bench/tsconfig.json --outDir "$out"
NODE_PATH="$PWD/node_modules" node "$out/bench/main.js"
