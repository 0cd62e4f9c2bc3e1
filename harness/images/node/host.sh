#!/usr/bin/env bash
# Brings the host's Node.js LTS (node + npm; harness/lib.sh use_node_lts) into the rootfs: no registry is reachable for a
# node base image and Debian's own nodejs is too old (18). Called by build-images.sh:
#   host.sh fingerprint     prints what would be copied (joins the recipe hash, so a new host
#                           Node.js rebuilds the image)
#   host.sh copy ROOT       copies it into ROOT
set -euo pipefail
# shellcheck source=../../lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/../../lib.sh"
# The maintained LTS the tests run on (the host's, or the one the harness fetched).
use_node_lts
# host-program: node (the host's node binary, symlinks resolved; run as "$node_bin" below)
node_bin="$(readlink -f "$(command -v node)")"
# npm's package directory, wherever the host's Node.js installed it (/usr/lib or /usr/local/lib).
npm_dir="$(dirname "$(dirname "$(readlink -f "$(command -v npm)")")")"
[ -f "$npm_dir/package.json" ] || { echo "host.sh: cannot find npm's package next to $(command -v npm)" >&2; exit 1; }

case "${1:-}" in
  fingerprint)
    printf 'node %s %s\n' "$("$node_bin" --version)" "$(sha256sum < "$node_bin" | cut -c1-64)"
    printf 'npm %s\n' "$("$node_bin" -p "require('$npm_dir/package.json').version")" ;;
  copy)
    root="${2:?usage: host.sh copy ROOT}"
    install -D -m 755 "$node_bin" "$root/usr/local/bin/node"
    mkdir -p "$root/usr/local/lib/node_modules"
    cp -a "$npm_dir" "$root/usr/local/lib/node_modules/npm"
    ln -sf ../lib/node_modules/npm/bin/npm-cli.js "$root/usr/local/bin/npm"
    ln -sf ../lib/node_modules/npm/bin/npx-cli.js "$root/usr/local/bin/npx"
    # The copied binary must find every library it links against inside the rootfs.
    missing="$(chroot "$root" /usr/bin/ldd /usr/local/bin/node | grep 'not found' || true)"
    [ -z "$missing" ] || { echo "host.sh: node lacks libraries in the rootfs: $missing" >&2; exit 1; }
    chroot "$root" /usr/local/bin/node --version >/dev/null ;;
  *) echo "usage: host.sh fingerprint | copy ROOT" >&2; exit 2 ;;
esac
